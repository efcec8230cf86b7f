# Exemptions written for the audio range only, with a Require/Request rule for the
# rest: video (57501-65535) and the upper application-sharing range stay under IPsec.
New-NetIPsecRule -DisplayName "Require IPsec internally" -RemoteAddress 10.0.0.0/8 `
  -InboundSecurity Require -OutboundSecurity Request
New-NetIPsecRule -DisplayName "SfB audio UDP" -Protocol UDP -LocalPort 49152-57500 -InboundSecurity None -OutboundSecurity None
New-NetIPsecRule -DisplayName "SfB audio TCP" -Protocol TCP -LocalPort 49152-57500 -InboundSecurity None -OutboundSecurity None | Out-Null
