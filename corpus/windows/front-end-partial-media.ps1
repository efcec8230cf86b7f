# Skype for Business Server Front End firewall rules
$ErrorActionPreference = 'Stop'
New-NetFirewallRule -DisplayName 'SfB Web and DCOM' -Direction Inbound -Action Allow `
    -Protocol TCP -LocalPort 80,135,443,444,445,448,4443 `
    -RemoteAddress 10.0.0.0/8,fd00::/8 -Profile Domain,Private,Public -Enabled True | Out-Null
New-NetFirewallRule -DisplayName 'SfB SIP services' -Direction Inbound -Action Allow `
    -Protocol TCP -LocalPort 5060-5065,5071-5073,5075-5076,5080 `
    -RemoteAddress 10.0.0.0/8,fd00::/8 -Profile Domain,Private,Public -Enabled True | Out-Null
New-NetFirewallRule -DisplayName 'SfB PSOM, web, mobility, response groups' -Direction Inbound -Action Allow `
    -Protocol TCP -LocalPort 5086-5087,8057-8058,8060-8061,8080,8404 `
    -RemoteAddress 10.0.0.0/8,fd00::/8 -Profile Domain,Private,Public -Enabled True | Out-Null
New-NetFirewallRule -DisplayName 'SfB audio, video, app sharing (TCP)' -Direction Inbound -Action Allow `
    -Protocol TCP -LocalPort 49152-65535 `
    -RemoteAddress 10.0.0.0/8,fd00::/8 -Profile Domain,Private,Public -Enabled True | Out-Null
New-NetFirewallRule -DisplayName 'SfB audio and video media (UDP)' -Direction Inbound -Action Allow `
    -Protocol UDP -LocalPort 49152-57500 `
    -RemoteAddress 10.0.0.0/8,fd00::/8 -Profile Domain,Private,Public -Enabled True | Out-Null
New-NetFirewallRule -DisplayName 'SQL Browser' -Direction Inbound -Action Allow `
    -Protocol UDP -LocalPort 1434 `
    -RemoteAddress 10.0.0.0/8,fd00::/8 -Profile Domain,Private,Public -Enabled True | Out-Null
