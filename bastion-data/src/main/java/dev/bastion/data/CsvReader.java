package dev.bastion.data;

import dev.bastion.core.BadInputException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * An RFC 4180 CSV reader with explicit limits: quoted fields, doubled quotes, embedded newlines,
 * CRLF or LF line ends, a configurable delimiter. The first record is the header. Input that is not
 * UTF-8, has a row of the wrong width, or exceeds a limit is refused with the file and line.
 */
public final class CsvReader {
  /**
   * Limits and the delimiter.
   *
   * @param delimiter the field separator
   * @param maxFileBytes largest file accepted
   * @param maxFieldChars longest field accepted
   * @param maxColumns widest header accepted
   * @param maxRows most data rows accepted
   */
  public record Options(
      char delimiter, long maxFileBytes, int maxFieldChars, int maxColumns, long maxRows) {
    public static final Options DEFAULT = new Options(',', 1L << 30, 1 << 16, 4096, 10_000_000);

    public Options {
      if (delimiter == '"' || delimiter == '\n' || delimiter == '\r') {
        throw new IllegalArgumentException("delimiter cannot be a quote or a line end");
      }
    }
  }

  private final Options options;

  public CsvReader(Options options) {
    this.options = options;
  }

  public CsvReader() {
    this(Options.DEFAULT);
  }

  /**
   * Reads a whole CSV file.
   *
   * @throws BadInputException if the file is missing, too large, or not CSV
   */
  public Table read(Path file) throws BadInputException, IOException {
    String name = file.toString();
    long size;
    try {
      size = Files.size(file);
    } catch (NoSuchFileException e) {
      throw new BadInputException(name + ": no such file", e);
    }
    if (Files.isDirectory(file)) {
      throw new BadInputException(name + ": is a directory, not a CSV file");
    }
    if (size > options.maxFileBytes()) {
      throw new BadInputException(
          name + ": " + size + " bytes is more than the limit of " + options.maxFileBytes());
    }
    try (InputStream in = Files.newInputStream(file)) {
      Reader reader =
          new InputStreamReader(
              in,
              StandardCharsets.UTF_8
                  .newDecoder()
                  .onMalformedInput(CodingErrorAction.REPORT)
                  .onUnmappableCharacter(CodingErrorAction.REPORT));
      return read(reader, name);
    }
  }

  /** Reads CSV from {@code reader}; {@code name} is used in messages. */
  public Table read(Reader reader, String name) throws BadInputException, IOException {
    Parser p = new Parser(reader, name);
    try {
      return read(p, name);
    } catch (CharacterCodingException e) {
      throw new BadInputException(name + ": line " + p.line + ": not UTF-8 text", e);
    }
  }

  private Table read(Parser p, String name) throws BadInputException, IOException {
    if (p.peek() == '\uFEFF') {
      p.read(); // a byte order mark is not part of the first column's name
    }
    Parser.Record header = p.next();
    if (header == null) {
      throw new BadInputException(name + ": empty file, expected a CSV header");
    }
    if (header.cells.size() > options.maxColumns()) {
      throw new BadInputException(
          name + ": line 1: " + header.cells.size() + " columns, more than the limit of "
              + options.maxColumns());
    }
    List<String> columns = new ArrayList<>();
    for (int i = 0; i < header.cells.size(); i++) {
      String c = header.cells.get(i).strip();
      if (c.isEmpty()) {
        throw new BadInputException(name + ": line 1, column " + (i + 1) + ": empty column name");
      }
      if (columns.contains(c)) {
        throw new BadInputException(name + ": line 1: column '" + c + "' appears twice");
      }
      columns.add(c);
    }
    if (columns.size() < 2) {
      throw new BadInputException(
          name + ": line 1: found " + columns.size()
              + " column; not a CSV file with delimiter '" + options.delimiter() + "'");
    }
    List<Table.Row> rows = new ArrayList<>();
    for (Parser.Record r; (r = p.next()) != null; ) {
      if (r.cells.size() == 1 && r.cells.get(0).isEmpty()) {
        continue; // a blank line
      }
      if (r.cells.size() != columns.size()) {
        throw new BadInputException(
            name + ": line " + r.line + ": " + r.cells.size() + " fields, the header has "
                + columns.size());
      }
      if (rows.size() >= options.maxRows()) {
        throw new BadInputException(
            name + ": line " + r.line + ": more than the limit of " + options.maxRows()
                + " rows");
      }
      rows.add(new Table.Row(r.line, r.cells));
    }
    return new Table(name, columns, rows);
  }

  private final class Parser {
    record Record(long line, List<String> cells) {}

    private final Reader in;
    private final String name;
    private long line = 1;
    private int peeked = -2;

    Parser(Reader in, String name) {
      this.in = in;
      this.name = name;
    }

    private int read() throws IOException {
      if (peeked != -2) {
        int c = peeked;
        peeked = -2;
        return c;
      }
      return in.read();
    }

    private int peek() throws IOException {
      if (peeked == -2) {
        peeked = in.read();
      }
      return peeked;
    }

    Record next() throws IOException, BadInputException {
      int c = peek();
      if (c == -1) {
        return null;
      }
      long start = line;
      List<String> cells = new ArrayList<>();
      StringBuilder field = new StringBuilder();
      boolean quoted = false;
      boolean afterQuote = false;
      while (true) {
        c = read();
        if (quoted) {
          if (c == -1) {
            throw new BadInputException(
                name + ": line " + start + ": quoted field not closed before end of file");
          }
          if (c == '"') {
            if (peek() == '"') {
              read();
              append(field, '"', start);
            } else {
              quoted = false;
              afterQuote = true;
            }
          } else {
            if (c == '\n') {
              line++;
            } else if (c == 0) {
              throw new BadInputException(
                  name + ": line " + line + ": NUL byte; this is not a text CSV file");
            }
            append(field, (char) c, start);
          }
          continue;
        }
        if (c == -1 || c == '\n' || c == '\r') {
          if (c == '\r' && peek() == '\n') {
            read();
          }
          if (c != -1) {
            line++;
          }
          cells.add(field.toString());
          return new Record(start, cells);
        }
        if (c == options.delimiter()) {
          cells.add(field.toString());
          field.setLength(0);
          afterQuote = false;
          continue;
        }
        if (afterQuote) {
          throw new BadInputException(
              name + ": line " + line + ", field " + (cells.size() + 1)
                  + ": text after a closing quote");
        }
        if (c == '"') {
          if (field.length() > 0) {
            throw new BadInputException(
                name + ": line " + line + ", field " + (cells.size() + 1)
                    + ": quote inside an unquoted field");
          }
          quoted = true;
          continue;
        }
        if (c == 0) {
          throw new BadInputException(
              name + ": line " + line + ": NUL byte; this is not a text CSV file");
        }
        append(field, (char) c, start);
      }
    }

    private void append(StringBuilder field, char c, long start) throws BadInputException {
      if (field.length() >= options.maxFieldChars()) {
        throw new BadInputException(
            name + ": line " + start + ": field longer than the limit of "
                + options.maxFieldChars() + " characters");
      }
      field.append(c);
    }
  }
}
