@ECHO OFF
REM fwmatrix: front-end.rules --role front-end --ipsec %s
REM FWM011 in netsh: "do not authenticate" exemptions for the media ports only, next to
REM domain isolation. The seed's exemption takes any port (the TCP one here): no FWM011.
netsh advfirewall consec add rule name="Domain isolation" endpoint1=any endpoint2=10.0.0.0/8 action=requireinrequestout
REM expect: FWM011
netsh advfirewall consec add rule name="SfB media UDP" endpoint1=any endpoint2=any protocol=udp port1=49152-65535 port2=any action=noauthentication
netsh advfirewall consec add rule name="SfB media TCP" endpoint1=any endpoint2=any protocol=tcp action=noauthentication
