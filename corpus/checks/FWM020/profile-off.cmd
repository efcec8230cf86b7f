@echo off
rem fwmatrix:
rem FWM020 in netsh: turning a profile's firewall off accepts everything there. The allow
rem rule for the internal network is no FWM020.
rem expect: FWM020
netsh advfirewall set publicprofile state off
netsh advfirewall firewall add rule name="Internal" dir=in action=allow remoteip=10.0.0.0/8 profile=any enable=yes
