@ECHO OFF
REM A port range on a rule that requires authentication is malformed (Windows accepts
REM ranges only on "do not authenticate" rules), and an unterminated quote.
netsh advfirewall consec add rule name="Media" endpoint1=any endpoint2=any protocol=udp port1=49152-57500 action=requireinrequestout
netsh advfirewall consec add rule name="Broken endpoint1=any endpoint2=any action=noauthentication
netsh advfirewall consec add rule name="SfB UDP" endpoint1=any endpoint2=any protocol=udp action=noauthentication
