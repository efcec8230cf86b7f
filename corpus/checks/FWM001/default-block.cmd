@echo off
rem fwmatrix: --role front-end
rem FWM001 in netsh: a block rule beats every allow rule; what no rule allows falls to the
rem default inbound action Block, which no line sets (reported at line 1).
rem expect@1: FWM001
rem expect: FWM001
netsh advfirewall firewall add rule name="No SMB" dir=in action=block protocol=TCP localport=445 profile=any enable=yes
netsh advfirewall firewall add rule name="No Telnet" dir=in action=block protocol=TCP localport=23 profile=any enable=yes
netsh advfirewall firewall add rule name="SfB web" dir=in action=allow protocol=TCP localport=80,135,443-445,448,4443 remoteip=10.0.0.0/8 profile=any enable=yes
netsh advfirewall firewall add rule name="SfB SIP" dir=in action=allow protocol=TCP localport=5060-5065,5071-5073,5075-5076,5080 remoteip=10.0.0.0/8 profile=any enable=yes
netsh advfirewall firewall add rule name="SfB misc" dir=in action=allow protocol=TCP localport=5086-5087,8057-8058,8060-8061,8080,8404 remoteip=10.0.0.0/8 profile=any enable=yes
netsh advfirewall firewall add rule name="SfB media" dir=in action=allow protocol=UDP localport=1434,49152-65535 remoteip=10.0.0.0/8 profile=any enable=yes
