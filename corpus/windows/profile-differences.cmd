@echo off
rem Skype for Business Server Front End firewall rules
netsh advfirewall set publicprofile state off
netsh advfirewall firewall add rule name="SfB Web and DCOM" dir=in action=allow protocol=TCP localport=80,135,443,444,445,448,4443 remoteip=10.0.0.0/8,fd00::/8 profile=any enable=yes
netsh advfirewall firewall add rule name="SfB SIP services" dir=in action=allow protocol=TCP localport=5060-5065,5071-5073,5075-5076,5080 remoteip=10.0.0.0/8,fd00::/8 profile=any enable=yes
netsh advfirewall firewall add rule name="SfB PSOM, web, mobility, response groups" dir=in action=allow protocol=TCP localport=5086-5087,8057-8058,8060-8061,8080,8404 remoteip=10.0.0.0/8,fd00::/8 profile=any enable=yes
netsh advfirewall firewall add rule name="SfB audio, video, app sharing (TCP)" dir=in action=allow protocol=TCP localport=49152-65535 remoteip=10.0.0.0/8,fd00::/8 profile=domain enable=yes
netsh advfirewall firewall add rule name="SfB audio and video media (UDP)" dir=in action=allow protocol=UDP localport=49152-65535 remoteip=10.0.0.0/8,fd00::/8 profile=domain enable=yes
netsh advfirewall firewall add rule name="SQL Browser" dir=in action=allow protocol=UDP localport=1434 remoteip=10.0.0.0/8,fd00::/8 profile=any enable=yes
