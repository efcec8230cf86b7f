parser grammar CsvParser;
options { tokenVocab = CsvLexer; }

file   : ( row? NL )* row? EOF ;
row    : part+ ;
part   : QUOTED | TEXT | SEP ;
