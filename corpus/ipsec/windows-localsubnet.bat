@ECHO OFF
REM The exemption is limited to peers in the local subnet, a keyword Windows resolves
REM on the host: whether media from those peers is exempt cannot be told from the file.
netsh advfirewall consec add rule name="Require IPsec" endpoint1=any endpoint2=10.0.0.0/8 action=requireinrequireout
netsh advfirewall consec add rule name="SfB media from the local subnet" endpoint1=any endpoint2=localsubnet protocol=udp action=noauthentication
netsh advfirewall consec add rule name="SfB media TCP" endpoint1=any endpoint2=any protocol=tcp action=noauthentication
