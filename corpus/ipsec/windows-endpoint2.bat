REM The exemption names the media ports as Port2: with the host as Endpoint1 they are the
REM peer's ports, so the host's media ports stay under the isolation rule.
netsh advfirewall consec add rule name=Req endpoint1=any endpoint2=any action=requireinrequestout
netsh advfirewall consec add rule name=Backwards endpoint1=any endpoint2=any protocol=udp port2=49152-65535 action=noauthentication
netsh advfirewall consec add rule name=TCP endpoint1=any endpoint2=any protocol=tcp action=noauthentication
