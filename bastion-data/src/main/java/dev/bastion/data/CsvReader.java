package dev.bastion.data;

import dev.bastion.core.BadInputException;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
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

    /**
     * Limits for {@link #stream}, which holds one row at a time: files up to 1 TiB and 2^40 rows;
     * fields and the header as for {@link #DEFAULT}, so a single huge line is refused at the
     * field-length or column limit, never buffered.
     */
    public static final Options STREAMING =
        new Options(',', 1L << 40, 1 << 16, 4096, 1L << 40);

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
    InputText.checkFile(file, "a CSV file", options.maxFileBytes());
    try (InputStream in = Files.newInputStream(file)) {
      return read(InputText.strictUtf8(in), name);
    }
  }

  /**
   * The column names of a header record: stripped, non-empty, distinct, at least two.
   *
   * @throws BadInputException naming line 1 and the column otherwise
   */
  private List<String> columns(List<String> cells, String name) throws BadInputException {
    List<String> columns = new ArrayList<>();
    for (int i = 0; i < cells.size(); i++) {
      String c = cells.get(i).strip();
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
    return columns;
  }

  /** Reads CSV from {@code reader}; {@code name} is used in messages. */
  public Table read(Reader reader, String name) throws BadInputException, IOException {
    Parser p = new Parser(reader, name);
    try {
      return read(p, name);
    } catch (CharacterCodingException e) {
      throw new BadInputException(p.at(p.line) + "not UTF-8 text", e);
    }
  }

  private Table read(Parser p, String name) throws BadInputException, IOException {
    if (p.peek() == '\uFEFF') {
      p.read(); // a byte order mark is not part of the first column's name
    }
    Parser.Record header = p.next(options.maxColumns());
    if (header == null) {
      throw new BadInputException(name + ": empty file, expected a CSV header");
    }
    if (header.cells.size() > options.maxColumns()) {
      throw new BadInputException(
          name + ": line 1: " + header.cells.size() + " columns, more than the limit of "
              + options.maxColumns());
    }
    List<String> columns = columns(header.cells, name);
    List<Table.Row> rows = new ArrayList<>();
    while (true) {
      p.row = rows.size() + 1; // the data row being read, for messages
      Parser.Record r = p.next(columns.size());
      if (r == null) {
        break;
      }
      if (r.cells.size() == 1 && r.cells.get(0).isEmpty()) {
        continue; // a blank line
      }
      // Named as the streaming reader names them: row R (line L).
      String at = name + ": row " + (rows.size() + 1) + " (line " + r.line + "): ";
      if (r.cells.size() != columns.size()) {
        throw new BadInputException(
            at + r.cells.size() + " fields, the header has " + columns.size());
      }
      if (rows.size() >= options.maxRows()) {
        throw new BadInputException(at + "more than the limit of " + options.maxRows() + " rows");
      }
      rows.add(new Table.Row(r.line, r.cells));
    }
    return new Table(name, columns, rows);
  }

  /** Receives a CSV file's rows one at a time, from {@link #stream}. */
  public interface RowVisitor {
    /** The header's column names, once, before any row. */
    void header(List<String> columns) throws BadInputException;

    /**
     * One data row.
     *
     * @param row the 1-based data row number (blank lines are not rows)
     * @param line the 1-based line of the file where the row starts
     * @param cells one cell per header column; the array is reused for the next row, so copy what
     *     you keep
     */
    void row(long row, long line, String[] cells) throws BadInputException;
  }

  /**
   * Reads {@code file} row by row in bounded memory: the same format and header rules as {@link
   * #read(Path)}, errors as one line {@code file: row R (line L): reason}.
   *
   * @return the number of data rows
   * @throws BadInputException if the file is missing, too large, or not CSV
   */
  public long stream(Path file, RowVisitor visitor) throws BadInputException, IOException {
    return stream(file, visitor, null);
  }

  /**
   * As {@link #stream(Path, RowVisitor)}, and updates {@code digest} (null for none) with every byte
   * read, so a caller gets the file's hash from the same pass.
   */
  public long stream(Path file, RowVisitor visitor, java.security.MessageDigest digest)
      throws BadInputException, IOException {
    String name = file.toString();
    checkFile(file, name);
    try (InputStream raw = Files.newInputStream(file)) {
      if (digest == null) {
        return stream(raw, name, visitor);
      }
      // The hashing runs beside the parsing, on the same bytes.
      try (DigestingInputStream in = new DigestingInputStream(raw, digest)) {
        long rows = stream(in, name, visitor);
        in.finish();
        return rows;
      }
    }
  }

  /** Checks that {@code file} exists, is a regular file and is within the size limit. */
  private void checkFile(Path file, String name) throws BadInputException, IOException {
    InputText.checkFile(file, "a CSV file", options.maxFileBytes());
  }

  /**
   * Reads UTF-8 CSV from {@code in} row by row; {@code name} is used in messages. The byte limit
   * is enforced as the bytes arrive.
   *
   * @return the number of data rows
   */
  public long stream(InputStream in, String name, RowVisitor visitor)
      throws BadInputException, IOException {
    return new StreamParser(in, name).run(visitor);
  }

  /**
   * A block-decoding parser: bytes are decoded to UTF-16 in 64 KiB blocks, then scanned from the
   * array; one row's fields are held at a time.
   */
  private final class StreamParser {
    private static final int BLOCK = 1 << 16;

    private final InputStream in;
    private final String name;
    private final CharsetDecoder decoder =
        StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private final ByteBuffer bytes = ByteBuffer.allocate(BLOCK).flip();
    private final CharBuffer chars = CharBuffer.allocate(BLOCK);
    private final char[] buf = chars.array();
    private int pos;
    private int lim;
    private boolean inputDone;
    private boolean decoded;
    private boolean malformed;
    private long bytesRead;

    private char[] field = new char[Math.min(64, options.maxFieldChars())];
    private int fieldLength;
    private String[] fields = new String[16];
    private int count;
    private long line = 1;
    private long recordLine;
    private long row; // the data row being read, 0 for the header

    StreamParser(InputStream in, String name) {
      this.in = in;
      this.name = name;
    }

    long run(RowVisitor visitor) throws BadInputException, IOException {
      if (peek() == '\uFEFF') {
        pos++; // a byte order mark is not part of the first column's name
      }
      if (!next(options.maxColumns())) {
        throw new BadInputException(name + ": empty file, expected a CSV header");
      }
      List<String> columns = columns(java.util.Arrays.asList(fields).subList(0, count), name);
      visitor.header(List.copyOf(columns));
      int width = columns.size();
      String[] cells = new String[width];
      row = 1;
      while (next(width)) {
        if (count == 1 && fields[0].isEmpty()) {
          continue; // a blank line
        }
        if (count != width) {
          throw bad(recordLine, count + " fields, the header has " + width);
        }
        if (row > options.maxRows()) {
          throw bad(recordLine, "more than the limit of " + options.maxRows() + " rows");
        }
        System.arraycopy(fields, 0, cells, 0, width);
        visitor.row(row, recordLine, cells);
        row++;
      }
      return row - 1;
    }

    private BadInputException bad(long at, String message) {
      return new BadInputException(
          name + ": " + (row == 0 ? "line " + at : "row " + row + " (line " + at + ")") + ": "
              + message);
    }

    /** Decodes the next block; false at the end of the input. */
    private boolean fill() throws IOException, BadInputException {
      if (malformed) {
        throw bad(line, "not UTF-8 text");
      }
      if (decoded) {
        return false;
      }
      chars.clear();
      while (true) {
        CoderResult r = decoder.decode(bytes, chars, inputDone);
        if (r.isError()) {
          malformed = true; // reported once the characters before it are parsed
          break;
        }
        if (r.isOverflow()) {
          break;
        }
        if (inputDone) {
          decoder.flush(chars);
          decoded = true;
          break;
        }
        if (chars.position() > 0) {
          break;
        }
        bytes.compact();
        int n = in.read(bytes.array(), bytes.position(), bytes.remaining());
        if (n < 0) {
          inputDone = true;
        } else {
          bytesRead += n;
          if (bytesRead > options.maxFileBytes()) {
            throw new BadInputException(
                name + ": more than the limit of " + options.maxFileBytes() + " bytes");
          }
          bytes.position(bytes.position() + n);
        }
        bytes.flip();
      }
      pos = 0;
      lim = chars.position();
      if (lim == 0) {
        if (malformed) {
          throw bad(line, "not UTF-8 text");
        }
        return !decoded && fill();
      }
      return true;
    }

    private int peek() throws IOException, BadInputException {
      if (pos == lim && !fill()) {
        return -1;
      }
      return buf[pos];
    }

    private void addField(int maxFields) throws BadInputException {
      if (count == maxFields) {
        throw bad(recordLine, row == 0
            ? "more than the limit of " + maxFields + " columns"
            : "more fields than the header's " + maxFields);
      }
      if (count == fields.length) {
        fields = java.util.Arrays.copyOf(fields, Math.min(fields.length * 2, maxFields + 1));
      }
      fields[count++] = new String(field, 0, fieldLength);
      fieldLength = 0;
    }

    private void append(char c) throws BadInputException {
      if (fieldLength == field.length) {
        if (fieldLength >= options.maxFieldChars()) {
          throw bad(recordLine, "field longer than the limit of " + options.maxFieldChars()
              + " characters");
        }
        field = java.util.Arrays.copyOf(field,
            (int) Math.min((long) fieldLength * 2, options.maxFieldChars()));
      }
      field[fieldLength++] = c;
    }

    /** Reads the next record into {@code fields}; false at the end of the input. */
    private boolean next(int maxFields) throws IOException, BadInputException {
      if (peek() == -1) {
        return false;
      }
      recordLine = line;
      count = 0;
      fieldLength = 0;
      boolean quoted = false;
      boolean afterQuote = false;
      char delimiter = options.delimiter();
      while (true) {
        if (pos == lim && !fill()) {
          if (quoted) {
            throw bad(recordLine, "quoted field not closed before end of file");
          }
          addField(maxFields);
          return true;
        }
        char c = buf[pos++];
        if (quoted) {
          if (c == '"') {
            if (peek() == '"') {
              pos++;
              append('"');
            } else {
              quoted = false;
              afterQuote = true;
            }
          } else {
            if (c == '\n') {
              line++;
            } else if (c == 0) {
              throw bad(line, "NUL byte; this is not a text CSV file");
            }
            append(c);
          }
          continue;
        }
        if (c == '\n' || c == '\r') {
          if (c == '\r' && peek() == '\n') {
            pos++;
          }
          line++;
          addField(maxFields);
          return true;
        }
        if (c == delimiter) {
          addField(maxFields);
          afterQuote = false;
          continue;
        }
        if (afterQuote) {
          throw bad(line, "field " + (count + 1) + ": text after a closing quote");
        }
        if (c == '"') {
          if (fieldLength > 0) {
            throw bad(line, "field " + (count + 1) + ": quote inside an unquoted field");
          }
          quoted = true;
          continue;
        }
        if (c == 0) {
          throw bad(line, "NUL byte; this is not a text CSV file");
        }
        append(c);
      }
    }
  }

  private final class Parser {
    record Record(long line, List<String> cells) {}

    private final Reader in;
    private final String name;
    private long line = 1;
    private int peeked = -2;
    /** The data row being read, counted from 1 (blank lines are not rows); 0 for the header. */
    long row;

    /** Where line {@code l} is, for a message: {@code FILE: row R (line L): }. */
    String at(long l) {
      return name + ": " + (row == 0 ? "line " + l : "row " + row + " (line " + l + ")") + ": ";
    }

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

    /** The next record, of at most {@code maxFields} fields. */
    Record next(int maxFields) throws IOException, BadInputException {
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
                at(start) + "quoted field not closed before end of file");
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
                  at(line) + "NUL byte; this is not a text CSV file");
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
          if (cells.size() == maxFields) {
            // Refused as soon as the extra field starts, not once a huge line is in memory.
            throw new BadInputException(at(start) + (row == 0
                ? "more than the limit of " + maxFields + " columns"
                : "more fields than the header's " + maxFields));
          }
          field.setLength(0);
          afterQuote = false;
          continue;
        }
        if (afterQuote) {
          throw new BadInputException(
              at(line) + "field " + (cells.size() + 1) + ": text after a closing quote");
        }
        if (c == '"') {
          if (field.length() > 0) {
            throw new BadInputException(
                at(line) + "field " + (cells.size() + 1) + ": quote inside an unquoted field");
          }
          quoted = true;
          continue;
        }
        if (c == 0) {
          throw new BadInputException(
              at(line) + "NUL byte; this is not a text CSV file");
        }
        append(field, (char) c, start);
      }
    }

    private void append(StringBuilder field, char c, long start) throws BadInputException {
      if (field.length() >= options.maxFieldChars()) {
        throw new BadInputException(
            at(start) + "field longer than the limit of "
                + options.maxFieldChars() + " characters");
      }
      field.append(c);
    }
  }
}
