@ECHO OFF
REM The seed's "Recommended IPsec exceptions" for a Front End Server (Conferencing
REM Attendant, A/V Conferencing, Application Sharing: inbound and outbound, any port,
REM "Do not authenticate"), next to a domain-isolation rule that requires IPsec.
netsh advfirewall consec add rule name="Domain isolation" endpoint1=any endpoint2=10.0.0.0/8 action=requireinrequestout
netsh advfirewall consec add rule name="SfB media UDP (do not authenticate)" endpoint1=any endpoint2=any protocol=udp port1=any port2=any action=noauthentication
netsh advfirewall consec add rule name="SfB media TCP (do not authenticate)" endpoint1=any endpoint2=any protocol=tcp action=noauthentication
