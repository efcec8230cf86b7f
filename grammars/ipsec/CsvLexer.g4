// RFC 4180 CSV as Export-Csv writes it (',' or, with -UseCulture, ';' between fields;
// "" inside quotes). The driver picks the delimiter from the header line; the other
// separator character is then part of a field.
lexer grammar CsvLexer;

QUOTED : '"' ( '""' | ~'"' )* '"' ;
SEP    : ',' | ';' ;
NL     : '\r'? '\n' ;
TEXT   : ~[,;"\r\n]+ ;
