// `netsh advfirewall consec show rule name=all verbose`, one line at a time:
// "Label:<spaces>value" (labels localized, ':' or the full-width '：'), separator
// lines of dashes, and free text ("Ok.").
lexer grammar NetshShowLexer;

COLON   : ( ':' | '\uFF1A' ) -> pushMode(VALUE_MODE) ;
LABEL   : ~[:\uFF1A\r\n]+ ;

mode VALUE_MODE;
VALUE   : ~[\r\n]+ ;
