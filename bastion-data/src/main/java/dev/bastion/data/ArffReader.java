package dev.bastion.data;

import dev.bastion.core.BadInputException;
import dev.bastion.core.Text;
import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * A reader for Weka's ARFF format (dense data), with explicit limits: {@code @relation}, {@code
 * @attribute} (numeric, real, integer, string, and nominal {@code {a,b}}), {@code @data}, whole-line
 * {@code %} comments, values quoted with {@code '...'} or {@code "..."} (backslash escapes), the
 * missing value {@code ?}, keywords in any case. Numeric cells must be plain decimal numbers
 * ({@link Numbers}) and nominal cells one of the declared values, so the table holds no value its
 * header does not allow. A missing value becomes an empty cell, which {@link Validator} reports as
 * missing. Date attributes and sparse rows are refused, as is anything over a limit, each with
 * {@code file: line N: ...} on one line.
 */
public final class ArffReader {
  /**
   * Limits.
   *
   * @param maxFileBytes largest file accepted
   * @param maxLineChars longest line accepted
   * @param maxAttributes most attributes accepted
   * @param maxRows most data rows accepted
   * @param maxNominalValues most values of one nominal attribute
   */
  public record Options(
      long maxFileBytes, int maxLineChars, int maxAttributes, long maxRows, int maxNominalValues) {
    public static final Options DEFAULT = new Options(1L << 30, 1 << 20, 4096, 10_000_000, 65_536);

    public Options {
      if (maxFileBytes < 0 || maxLineChars < 1 || maxAttributes < 1 || maxRows < 0
          || maxNominalValues < 1) {
        throw new IllegalArgumentException("ARFF limits must be positive");
      }
    }
  }

  /** Attribute kinds: integer and real are numeric. */
  public enum Kind {
    NUMERIC,
    NOMINAL,
    STRING
  }

  /**
   * One declared attribute.
   *
   * @param name its name
   * @param kind its kind
   * @param values the allowed values of a nominal attribute, in declared order; empty otherwise
   */
  public record Attribute(String name, Kind kind, List<String> values) {
    public Attribute {
      Objects.requireNonNull(name);
      Objects.requireNonNull(kind);
      values = List.copyOf(values);
    }
  }

  /**
   * A read ARFF file.
   *
   * @param relation the {@code @relation} name
   * @param attributes the declared attributes, in column order
   * @param table the data, one column per attribute
   */
  public record Arff(String relation, List<Attribute> attributes, Table table) {
    public Arff {
      attributes = List.copyOf(attributes);
    }
  }

  private final Options options;

  public ArffReader(Options options) {
    this.options = options;
  }

  public ArffReader() {
    this(Options.DEFAULT);
  }

  /**
   * Reads a whole ARFF file (UTF-8; ASCII files are UTF-8).
   *
   * @throws BadInputException if the file is missing, too large, or not ARFF
   */
  public Arff read(Path file) throws BadInputException, IOException {
    String name = file.toString();
    InputText.checkFile(file, "an ARFF file", options.maxFileBytes());
    try (InputStream in = Files.newInputStream(file)) {
      return read(InputText.strictUtf8(in), name);
    }
  }

  /** Reads ARFF from {@code reader}; {@code name} is used in messages. */
  public Arff read(Reader reader, String name) throws BadInputException, IOException {
    Lines lines = new Lines(reader, name);
    try {
      return parse(lines, name);
    } catch (CharacterCodingException e) {
      throw new BadInputException(name + ": line " + (lines.line + 1) + ": not UTF-8 text", e);
    }
  }

  private Arff parse(Lines lines, String name) throws BadInputException, IOException {
    String relation = null;
    List<Attribute> attributes = new ArrayList<>();
    Set<String> seen = new LinkedHashSet<>();
    String text;
    boolean data = false;
    while (!data && (text = lines.next()) != null) {
      String s = strip(text);
      if (s.isEmpty() || s.startsWith("%")) {
        continue;
      }
      String at = name + ": line " + lines.line + ": ";
      Cursor c = new Cursor(s, at);
      String keyword = c.word().toLowerCase(Locale.ROOT);
      switch (keyword) {
        case "@relation" -> {
          if (relation != null) {
            throw new BadInputException(at + "a second @relation");
          }
          if (!attributes.isEmpty()) {
            throw new BadInputException(at + "@relation after @attribute");
          }
          relation = c.value();
          c.end();
        }
        case "@attribute" -> {
          if (relation == null) {
            throw new BadInputException(at + "@attribute before @relation");
          }
          if (attributes.size() >= options.maxAttributes()) {
            throw new BadInputException(
                at + "more than the limit of " + options.maxAttributes() + " attributes");
          }
          Attribute a = attribute(c, at);
          if (!seen.add(a.name())) {
            throw new BadInputException(
                at + "attribute '" + Text.clip(a.name()) + "' declared twice");
          }
          attributes.add(a);
        }
        case "@data" -> {
          c.end();
          data = true;
        }
        default ->
            throw new BadInputException(
                at + "expected @relation, @attribute or @data, found '" + Text.clip(keyword) + "'");
      }
    }
    if (!data) {
      throw new BadInputException(
          name + ": " + (relation == null ? "empty, expected @relation" : "no @data section"));
    }
    if (attributes.isEmpty()) {
      throw new BadInputException(name + ": line " + lines.line + ": @data with no attributes");
    }
    List<String> columns = attributes.stream().map(Attribute::name).toList();
    List<Set<String>> nominal = new ArrayList<>();
    for (Attribute a : attributes) {
      nominal.add(a.kind() == Kind.NOMINAL ? new LinkedHashSet<>(a.values()) : Set.of());
    }
    List<Table.Row> rows = new ArrayList<>();
    while ((text = lines.next()) != null) {
      String s = strip(text);
      if (s.isEmpty() || s.startsWith("%")) {
        continue;
      }
      // Named as the CSV readers name rows: row R (line L), R counting data rows from 1.
      String at = name + ": row " + (rows.size() + 1) + " (line " + lines.line + "): ";
      if (s.startsWith("{")) {
        throw new BadInputException(at + "sparse rows are not supported");
      }
      if (rows.size() >= options.maxRows()) {
        throw new BadInputException(at + "more than the limit of " + options.maxRows() + " rows");
      }
      Cursor c = new Cursor(s, at);
      List<String> cells = new ArrayList<>(attributes.size());
      while (true) {
        if (cells.size() >= attributes.size()) {
          throw new BadInputException(
              at + "more than the " + attributes.size() + " values the header declares");
        }
        Attribute a = attributes.get(cells.size());
        boolean quoted = c.quoted();
        String v = c.value();
        if (!quoted && v.equals("?")) {
          cells.add("");
        } else {
          check(a, nominal.get(cells.size()), v, at);
          cells.add(v);
        }
        if (c.atEnd()) {
          break;
        }
        c.expect(',');
      }
      if (cells.size() != attributes.size()) {
        throw new BadInputException(
            at + cells.size() + " values, the header declares " + attributes.size());
      }
      rows.add(new Table.Row(lines.line, cells));
    }
    return new Arff(relation, attributes, new Table(name, columns, rows));
  }

  private Attribute attribute(Cursor c, String at) throws BadInputException {
    String name = c.value();
    if (name.isEmpty()) {
      throw new BadInputException(at + "empty attribute name");
    }
    if (c.peek() == '{') {
      c.expect('{');
      Set<String> values = new LinkedHashSet<>();
      c.skipSpace();
      if (c.peek() != '}') {
        while (true) {
          String v = c.value();
          if (!values.add(v)) {
            throw new BadInputException(
                at + "attribute '" + Text.clip(name) + "' lists '" + Text.clip(v) + "' twice");
          }
          if (values.size() > options.maxNominalValues()) {
            throw new BadInputException(
                at + "attribute '" + Text.clip(name) + "' has more than the limit of "
                    + options.maxNominalValues() + " values");
          }
          c.skipSpace();
          if (c.peek() == '}') {
            break;
          }
          c.expect(',');
        }
      }
      c.expect('}');
      c.end();
      if (values.isEmpty()) {
        throw new BadInputException(at + "attribute '" + Text.clip(name) + "' lists no values");
      }
      return new Attribute(name, Kind.NOMINAL, List.copyOf(values));
    }
    String type = c.word().toLowerCase(Locale.ROOT);
    Kind kind =
        switch (type) {
          case "numeric", "real", "integer" -> Kind.NUMERIC;
          case "string" -> Kind.STRING;
          case "date", "relational" ->
              throw new BadInputException(
                  at + "attribute '" + Text.clip(name) + "': " + type
                      + " attributes are not supported");
          case "" -> throw new BadInputException(
              at + "attribute '" + Text.clip(name) + "' has no type");
          default ->
              throw new BadInputException(
                  at + "attribute '" + Text.clip(name) + "': unknown type '" + Text.clip(type)
                      + "'");
        };
    c.end();
    return new Attribute(name, kind, List.of());
  }

  private static void check(Attribute a, Set<String> nominal, String v, String at)
      throws BadInputException {
    switch (a.kind()) {
      case NUMERIC -> {
        if (Numbers.parseDecimal(v).isEmpty()) {
          throw new BadInputException(
              at + "attribute '" + Text.clip(a.name()) + "': '" + Text.clip(v)
                  + "' is not a number");
        }
      }
      case NOMINAL -> {
        if (!nominal.contains(v)) {
          throw new BadInputException(
              at + "attribute '" + Text.clip(a.name()) + "': '" + Text.clip(v)
                  + "' is not one of its declared values");
        }
      }
      case STRING -> {
        // any text
      }
    }
  }

  /** ARFF whitespace: spaces and tabs; other control characters are kept and refused elsewhere. */
  private static String strip(String s) {
    int b = 0;
    int e = s.length();
    while (b < e && isSpace(s.charAt(b))) {
      b++;
    }
    while (e > b && isSpace(s.charAt(e - 1))) {
      e--;
    }
    return s.substring(b, e);
  }

  private static boolean isSpace(char c) {
    return c == ' ' || c == '\t';
  }

  /** Lines with a length limit, LF, CRLF or CR ends; refuses NUL. */
  private final class Lines {
    private final Reader in;
    private final String name;
    private long line;
    private int peeked = -2;
    private boolean first = true;

    Lines(Reader in, String name) {
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

    String next() throws IOException, BadInputException {
      boolean started = false;
      try {
        int c = read();
        if (c == -1) {
          return null;
        }
        line++;
        started = true;
        return rest(c);
      } catch (CharacterCodingException e) {
        // Named by the line the undecodable bytes are on: this one, or the next if it starts
        // with them.
        throw new BadInputException(
            name + ": line " + (started ? line : line + 1) + ": not UTF-8 text", e);
      }
    }

    /** The rest of a line whose first character is {@code c}. */
    private String rest(int c) throws IOException, BadInputException {
      if (first) {
        first = false;
        if (c == '\uFEFF') {
          c = read(); // a byte order mark is not part of the first line
        }
      }
      StringBuilder sb = new StringBuilder();
      while (c != -1 && c != '\n' && c != '\r') {
        if (c == 0) {
          throw new BadInputException(
              name + ": line " + line + ": NUL byte; this is not a text ARFF file");
        }
        if (sb.length() >= options.maxLineChars()) {
          throw new BadInputException(
              name + ": line " + line + ": longer than the limit of " + options.maxLineChars()
                  + " characters");
        }
        sb.append((char) c);
        c = read();
      }
      if (c == '\r') {
        int d = read();
        if (d != '\n') {
          peeked = d;
        }
      }
      return sb.toString();
    }
  }

  /** A position in one line, reading words and (possibly quoted) values. */
  private static final class Cursor {
    private final String s;
    private final String at;
    private int i;

    Cursor(String s, String at) {
      this.s = s;
      this.at = at;
    }

    void skipSpace() {
      while (i < s.length() && isSpace(s.charAt(i))) {
        i++;
      }
    }

    int peek() {
      skipSpace();
      return i < s.length() ? s.charAt(i) : -1;
    }

    boolean atEnd() {
      return peek() == -1;
    }

    boolean quoted() {
      int c = peek();
      return c == '\'' || c == '"';
    }

    void expect(char want) throws BadInputException {
      int c = peek();
      if (c != want) {
        throw new BadInputException(
            at + "expected '" + want + "' at column " + (i + 1) + ", found "
                + (c == -1 ? "the end of the line" : "'" + (char) c + "'"));
      }
      i++;
    }

    void end() throws BadInputException {
      if (!atEnd()) {
        throw new BadInputException(
            at + "unexpected text at column " + (i + 1) + ": '" + Text.clip(s.substring(i)) + "'");
      }
    }

    /** A keyword or type name: up to the next space, tab or brace. */
    String word() {
      skipSpace();
      int b = i;
      while (i < s.length() && !isSpace(s.charAt(i)) && s.charAt(i) != '{') {
        i++;
      }
      return s.substring(b, i);
    }

    /** A value: quoted (with backslash escapes), or bare up to a comma, brace or blank. */
    String value() throws BadInputException {
      int c = peek();
      if (c == -1) {
        throw new BadInputException(at + "expected a value at column " + (i + 1));
      }
      if (c == '\'' || c == '"') {
        int start = i;
        i++;
        StringBuilder sb = new StringBuilder();
        while (true) {
          if (i >= s.length()) {
            throw new BadInputException(
                at + "quote opened at column " + (start + 1) + " is not closed");
          }
          char ch = s.charAt(i++);
          if (ch == c) {
            return sb.toString();
          }
          if (ch == '\\') {
            if (i >= s.length()) {
              throw new BadInputException(at + "backslash at the end of the line");
            }
            char e = s.charAt(i++);
            sb.append(
                switch (e) {
                  case 'n' -> '\n';
                  case 't' -> '\t';
                  case 'r' -> '\r';
                  default -> e;
                });
          } else {
            sb.append(ch);
          }
        }
      }
      int b = i;
      while (i < s.length()) {
        char ch = s.charAt(i);
        if (ch == ',' || ch == '{' || ch == '}' || isSpace(ch)) {
          break;
        }
        if (ch == '\'' || ch == '"') {
          throw new BadInputException(at + "quote inside an unquoted value at column " + (i + 1));
        }
        i++;
      }
      if (i == b) {
        throw new BadInputException(
            at + "expected a value at column " + (i + 1) + ", found '" + s.charAt(i) + "'");
      }
      return s.substring(b, i);
    }
  }
}
