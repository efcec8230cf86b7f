# fwmatrix: front-end.rules --role front-end --ipsec %s
# FWM010, negative: the seed's exemptions (any port, do not authenticate) next to the
# rule that requires IPsec for the internal network.
New-NetIPsecRule -DisplayName "Require IPsec internally" -RemoteAddress 10.0.0.0/8 -InboundSecurity Require -OutboundSecurity Request
New-NetIPsecRule -DisplayName "SfB media UDP" -Protocol UDP -InboundSecurity None -OutboundSecurity None
New-NetIPsecRule -DisplayName "SfB media TCP" -Protocol TCP -InboundSecurity None -OutboundSecurity None
