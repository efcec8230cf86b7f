# fwmatrix: front-end.rules --role front-end --ipsec %s
# FWM010 in PowerShell: exemptions for the audio range only; video and the upper
# application-sharing range stay under the rule that requires IPsec.
# expect: FWM010
New-NetIPsecRule -DisplayName "Require IPsec internally" -RemoteAddress 10.0.0.0/8 -InboundSecurity Require -OutboundSecurity Request
# The exemptions, too narrow, are where the gap is fixed (warning level).
# expect: FWM010
New-NetIPsecRule -DisplayName "SfB audio UDP" -Protocol UDP -LocalPort 49152-57500 -InboundSecurity None -OutboundSecurity None
# expect: FWM010
New-NetIPsecRule -DisplayName "SfB audio TCP" -Protocol TCP -LocalPort 49152-57500 -InboundSecurity None -OutboundSecurity None
