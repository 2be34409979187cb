package dev.bastion.data;

import dev.bastion.core.BadInputException;
import dev.bastion.core.Digest;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;

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

    /**
     * A delimiter as users write it (a command-line option, a pipeline definition): one
     * printable ASCII character other than the quote, or {@code tab} (or a tab itself) for a tab.
     * A letter or a digit is accepted (RFC 4180 does not forbid one; a wrong choice shows as a
     * wrong field count, with its line).
     *
     * @throws BadInputException for anything else, saying what is expected
     */
    public static char delimiter(String text) throws BadInputException {
      if (text.equals("tab") || text.equals("\t")) {
        return '\t';
      }
      if (text.length() != 1 || text.charAt(0) < 0x20 || text.charAt(0) > 0x7e
          || text.charAt(0) == '"') {
        throw new BadInputException("delimiter '" + printable(text)
            + "': expected one printable ASCII character other than '\"', or 'tab'");
      }
      return text.charAt(0);
    }

    private static String printable(String s) {
      StringBuilder b = new StringBuilder();
      for (int i = 0; i < s.length() && i < 20; i++) {
        char c = s.charAt(i);
        b.append(c >= 0x20 && c < 0x7f ? String.valueOf(c)
            : String.format(java.util.Locale.ROOT, "\\u%04x", (int) c));
      }
      return s.length() > 20 ? b + "..." : b.toString();
    }

    /** These limits with {@code delimiter} as the field separator. */
    public Options withDelimiter(char delimiter) {
      return new Options(delimiter, maxFileBytes, maxFieldChars, maxColumns, maxRows);
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

  /**
   * Reads CSV from the bytes of {@code in}, strict UTF-8; {@code name} is used in messages.
   *
   * @throws BadInputException if it is not CSV or not UTF-8, naming the row and line
   */
  public Table read(InputStream in, String name) throws BadInputException, IOException {
    return read(InputText.strictUtf8(in), name);
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
  public long stream(Path file, RowVisitor visitor, MessageDigest digest)
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

  /**
   * How {@link #streamSplit} divided a file.
   *
   * @param firstRows the data rows of the first part
   * @param firstLines the line ends in the first part (header included): add it to a line number
   *     of the second part to get the file's
   * @param secondRows the data rows of the second part
   */
  public record Split(long firstRows, long firstLines, long secondRows) {
    /** The file's data rows. */
    public long rows() {
      return firstRows + secondRows;
    }
  }

  /**
   * Reads {@code file} as {@link #stream(Path, RowVisitor, MessageDigest)} does, but in two parts
   * at once: the first on the calling thread, the second on a helper.
   *
   * <p>The file is cut just after the first line feed at or past its middle. That is a record
   * boundary exactly when the first part, parsed from the start of the file, ends outside a quoted
   * field on that line feed, so the cut is checked by that parse rather than assumed. {@code
   * first} gets the header and the first part's rows, numbered as in the file; {@code second}
   * gets the header and the second part's rows, numbered from 1 (rows and lines): {@link Split}
   * gives the offsets.
   *
   * <p>{@code digest} gets every byte of the file in order: the first part's as they are parsed;
   * the second part's read again once both parts are done, and checked against a digest of the
   * bytes the second part parsed, so the digest is of exactly the bytes parsed. Should the file
   * change while it is read, the split is still exactly the one-pass read of the bytes digested,
   * or it is refused.
   *
   * @return how the file was split; or empty, and then the visitors' state and {@code digest} are
   *     to be discarded, if the file has no line feed in the {@value #CUT_SEARCH} bytes past its
   *     middle, the cut falls inside a quoted field, a part is not valid CSV or breaks a limit, or
   *     the file changed while it was read. {@link #stream(Path, RowVisitor, MessageDigest)}
   *     then reads it whole and names its first error exactly.
   * @throws IOException if the file cannot be read
   */
  public Optional<Split> streamSplit(
      Path file, RowVisitor first, RowVisitor second, MessageDigest digest)
      throws IOException {
    String name = file.toString();
    long cut;
    try {
      checkFile(file, name);
      cut = cut(file, Files.size(file) / 2);
    } catch (BadInputException e) {
      return Optional.empty();
    }
    if (cut < 0) {
      return Optional.empty();
    }
    AtomicBoolean stop = new AtomicBoolean();
    MessageDigest secondDigest = Digest.sha256();
    Part part = new Part();
    Thread helper = null;
    long firstRows;
    long firstLines;
    Bounded bounded = null;
    try (InputStream raw = Files.newInputStream(file);
        DigestingInputStream in =
            new DigestingInputStream(bounded = new Bounded(raw, cut), digest)) {
      StreamParser p = new StreamParser(in, name);
      List<String> columns = p.header();
      first.header(columns);
      // The second part starts once the header is known: it reads no header of its own.
      helper = second(file, cut, columns, second, secondDigest, stop, part);
      firstRows = p.rows(stopping(first, stop), columns.size());
      in.finish();
      firstLines = p.line - 1;
    } catch (BadInputException | Stopped e) {
      // Bad input in the first part comes before anything the second part found, and Stopped
      // means the second part found bad input: the whole read names the first error.
      stop.set(true);
      join(helper, stop);
      return Optional.empty();
    } catch (IOException | RuntimeException | Error e) {
      stop.set(true);
      join(helper, stop);
      throw e;
    }
    join(helper, stop);
    if (part.failure != null) {
      // The first part ran clean, so the second part's failure is the file's first.
      throw rethrow(part.failure);
    }
    // A first part whose last byte is not a line feed (the file changed after the cut was
    // chosen) would have its last record run on into the second part's first in a one-pass read.
    if (bounded.last != '\n' || !part.done || firstRows + part.rows > options.maxRows()
        || !rehash(file, cut, part.bytes, digest, secondDigest.digest())) {
      return Optional.empty();
    }
    return Optional.of(new Split(firstRows, firstLines, part.rows));
  }

  /** Starts the thread that reads the second part: from {@code cut} to the end of the file. */
  private Thread second(Path file, long cut, List<String> header, RowVisitor visitor,
      MessageDigest digest, AtomicBoolean stop,
      Part part) {
    String name = file.toString();
    return Thread.ofPlatform().name("bastion-csv-second-part").daemon().start(() -> {
      try (FileChannel ch = FileChannel.open(file)) {
        ch.position(cut);
        try (DigestingInputStream in =
            new DigestingInputStream(Channels.newInputStream(ch), digest)) {
          StreamParser p = new StreamParser(in, name);
          p.byteLimit = options.maxFileBytes() - cut;
          visitor.header(header);
          part.rows = p.rows(stopping(visitor, stop), header.size());
          in.finish();
          part.bytes = p.bytesRead;
          part.done = true;
        }
      } catch (Stopped e) {
        // the first part gave up the split
      } catch (BadInputException | IOException e) {
        stop.set(true); // read whole afterwards, which reports what is wrong
      } catch (RuntimeException | Error e) {
        // Not a reason to stop the first part: bad input there would come first in the file.
        part.failure = e;
      }
    });
  }

  /** How far past the middle {@link #streamSplit} looks for a line feed. */
  static final int CUT_SEARCH = 1 << 20;

  /** What the second part's thread found. */
  private static final class Part {
    long rows;
    long bytes;
    boolean done;
    Throwable failure;
  }

  /** Thrown inside one part's parse when the other part failed: the split is given up. */
  private static final class Stopped extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Stopped() {
      super(null, null, false, false);
    }
  }

  private static RowVisitor stopping(RowVisitor v, AtomicBoolean stop) {
    return new RowVisitor() {
      @Override
      public void header(List<String> columns) throws BadInputException {
        v.header(columns);
      }

      @Override
      public void row(long row, long line, String[] cells) throws BadInputException {
        if ((row & 1023) == 0 && stop.get()) {
          throw new Stopped();
        }
        v.row(row, line, cells);
      }
    };
  }

  /** Just after the first line feed at or after byte {@code from}; -1 if there is none close. */
  private static long cut(Path file, long from) throws IOException {
    try (FileChannel ch = FileChannel.open(file)) {
      ByteBuffer b = ByteBuffer.allocate(1 << 16);
      long at = from;
      while (at < from + CUT_SEARCH) {
        b.clear();
        int n = ch.read(b, at);
        if (n <= 0) {
          return -1;
        }
        for (int i = 0; i < n; i++) {
          if (b.get(i) == '\n') {
            long c = at + i + 1;
            return c < ch.size() && from > 0 ? c : -1;
          }
        }
        at += n;
      }
      return -1;
    }
  }

  /**
   * Adds bytes {@code [cut, cut + length)} of {@code file} to {@code digest}, and checks that they
   * are the bytes whose SHA-256 is {@code expected}: what the second part parsed.
   */
  private static boolean rehash(Path file, long cut, long length,
      MessageDigest digest, byte[] expected) throws IOException {
    MessageDigest check = Digest.sha256();
    try (FileChannel ch = FileChannel.open(file)) {
      ch.position(cut);
      try (DigestingInputStream in =
          new DigestingInputStream(Channels.newInputStream(ch), check)) {
        byte[] buf = new byte[DigestingInputStream.BLOCK];
        long left = length;
        while (left > 0) {
          int n = in.read(buf, 0, (int) Math.min(buf.length, left));
          if (n < 0) {
            return false; // shorter than what was parsed: it changed
          }
          digest.update(buf, 0, n);
          left -= n;
        }
        in.finish();
      }
    }
    return MessageDigest.isEqual(check.digest(), expected);
  }

  /** A runtime exception or error of the second part's thread, thrown on the caller's. */
  private static RuntimeException rethrow(Throwable t) {
    if (t instanceof Error e) {
      throw e;
    }
    return (RuntimeException) t;
  }

  /**
   * Waits for the second part's thread to end, even if interrupted (then it is told to stop, and
   * the interrupt is kept and reported), so that no thread of a call outlives it.
   */
  private static void join(Thread t, AtomicBoolean stop) throws IOException {
    if (t == null) {
      return;
    }
    boolean interrupted = false;
    while (true) {
      try {
        t.join();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
        stop.set(true);
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while reading");
    }
  }

  /** The first {@code limit} bytes of a stream. */
  private static final class Bounded extends java.io.FilterInputStream {
    private long left;
    /** The last byte read; -1 before any. */
    int last = -1;

    Bounded(InputStream in, long limit) {
      super(in);
      this.left = limit;
    }

    @Override
    public int read() throws IOException {
      if (left <= 0) {
        return -1;
      }
      int c = in.read();
      if (c >= 0) {
        left--;
        last = c;
      }
      return c;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left <= 0) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n > 0) {
        left -= n;
        last = b[off + n - 1] & 0xff;
      }
      return n;
    }

    @Override
    public long skip(long n) {
      return 0;
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
    /** The most bytes this parser may read: the file limit, less what came before its part. */
    private long byteLimit = options.maxFileBytes();

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
      List<String> columns = header();
      visitor.header(columns);
      return rows(visitor, columns.size());
    }

    /** Reads the header record: the column names. */
    List<String> header() throws BadInputException, IOException {
      if (peek() == '\uFEFF') {
        pos++; // a byte order mark is not part of the first column's name
      }
      if (!next(options.maxColumns())) {
        throw new BadInputException(name + ": empty file, expected a CSV header");
      }
      return List.copyOf(columns(java.util.Arrays.asList(fields).subList(0, count), name));
    }

    /**
     * Reads data records of {@code width} fields to the end of the input, numbered from 1.
     *
     * @return the number of data rows
     */
    long rows(RowVisitor visitor, int width) throws BadInputException, IOException {
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
          if (bytesRead > byteLimit) {
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
          throw bad(recordLine, "field " + (count + 1) + ": longer than the limit of "
              + options.maxFieldChars() + " characters");
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
              append(field, '"', start, cells.size() + 1);
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
            append(field, (char) c, start, cells.size() + 1);
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
        append(field, (char) c, start, cells.size() + 1);
      }
    }

    private void append(StringBuilder field, char c, long start, int index)
        throws BadInputException {
      if (field.length() >= options.maxFieldChars()) {
        throw new BadInputException(
            at(start) + "field " + index + ": longer than the limit of "
                + options.maxFieldChars() + " characters");
      }
      field.append(c);
    }
  }
}
