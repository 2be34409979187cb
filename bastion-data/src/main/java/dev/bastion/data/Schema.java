package dev.bastion.data;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Digest;
import dev.bastion.core.InputFiles;
import dev.bastion.core.Json;
import dev.bastion.core.Text;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The declared shape of a data set: its columns with types, allowed categories and numeric ranges,
 * the label column, and the accepted row count; and what the data set's owner declared about its
 * use: each column's sensitivity (what happens to it before anything is stored) and, optionally,
 * a consent column listing per row the purposes its subject agreed to.
 *
 * <pre>
 * {"name": ..., "label": ..., "rows": {"min": N, "max": N},
 *  "columns": [{"name": ..., "type": "integer" | "number" | "categorical" | "purposes",
 *               "values": [...], "min": X, "max": X,
 *               "sensitivity": "keep" | "tokenise" | "encrypt" | "drop"}, ...]}
 * </pre>
 *
 * <p>Any other field, a {@code values} on a numeric column or a {@code min} or {@code max} on
 * another is refused rather than ignored: a misspelt bound must not leave a column unchecked.
 * Category values are strings, as CSV cells are; names are non-empty.
 *
 * <p>A column of type {@code purposes} is the consent column (at most one): each cell lists the
 * purposes, from its {@code values}, separated by {@code ;}; an empty cell is no consent at all.
 * It is never a feature.
 *
 * @param name the data set's name
 * @param label the label column
 * @param minRows fewest rows accepted
 * @param maxRows most rows accepted
 * @param columns the columns, in file order
 * @param digest SHA-256 of the schema file
 */
public record Schema(
    String name, String label, long minRows, long maxRows, List<Column> columns, Digest digest) {

  /** Column types. */
  public enum Type {
    INTEGER,
    NUMBER,
    CATEGORICAL,
    /** The consent column: purposes separated by {@link #PURPOSE_SEPARATOR}, from its values. */
    PURPOSES
  }

  /** Separates the purposes in a cell of the consent column. */
  public static final String PURPOSE_SEPARATOR = ";";

  /** What happens to a column's values before anything is stored. */
  public enum Sensitivity {
    /** Stored as they are. */
    KEEP("keep"),
    /** Replaced by deterministic AEAD tokens (equal values, equal tokens: still a feature). */
    TOKENISE("tokenise"),
    /** Replaced by randomised AEAD ciphertexts: recoverable with the key, never a feature. */
    ENCRYPT("encrypt"),
    /** Removed from the snapshot. */
    DROP("drop");

    private final String spelling;

    Sensitivity(String spelling) {
      this.spelling = spelling;
    }

    /** The word used in schema files. */
    public String spelling() {
      return spelling;
    }
  }

  /**
   * One column.
   *
   * @param name its header
   * @param type its type
   * @param values allowed values of a categorical column
   * @param min smallest allowed value of a numeric column
   * @param max largest allowed value of a numeric column
   * @param sensitivity what happens to its values before they are stored
   */
  public record Column(
      String name, Type type, Set<String> values, double min, double max,
      Sensitivity sensitivity) {
    public Column {
      values = java.util.Collections.unmodifiableSet(new LinkedHashSet<>(values));
      Objects.requireNonNull(sensitivity);
    }

    /** A column kept as it is. */
    public Column(String name, Type type, Set<String> values, double min, double max) {
      this(name, type, values, min, max, Sensitivity.KEEP);
    }

    public boolean numeric() {
      return type == Type.INTEGER || type == Type.NUMBER;
    }
  }

  public Schema {
    columns = List.copyOf(columns);
  }

  /**
   * Whether {@code c} is an input of a model: not the label, not the consent column, and not
   * encrypted or dropped before storage.
   */
  public boolean isFeature(Column c) {
    return !c.name().equals(label)
        && c.type() != Type.PURPOSES
        && c.sensitivity() != Sensitivity.ENCRYPT
        && c.sensitivity() != Sensitivity.DROP;
  }

  /** The consent column, if the data set has one. */
  public Optional<Column> consentColumn() {
    return columns.stream().filter(c -> c.type() == Type.PURPOSES).findFirst();
  }

  /** The columns of a sensitivity, in file order. */
  public List<String> columnsWith(Sensitivity s) {
    return columns.stream().filter(c -> c.sensitivity() == s).map(Column::name).toList();
  }

  /** The column with this name. */
  public Optional<Column> column(String name) {
    return columns.stream().filter(c -> c.name().equals(name)).findFirst();
  }

  /**
   * Reads a schema file.
   *
   * @throws BadInputException if it is missing or malformed
   */
  public static Schema load(Path file) throws BadInputException, IOException {
    return parse(
        InputFiles.read(file, "schema file", InputFiles.MAX_DOCUMENT_BYTES), file.toString());
  }

  /** Parses schema JSON. */
  public static Schema parse(byte[] bytes, String where) throws BadInputException {
    JsonNode root = Json.parse(bytes, where);
    if (!root.isObject()) {
      throw new BadInputException(where + ": a schema is a JSON object");
    }
    onlyFields(root, where, "", TOP_FIELDS);
    String name = nonEmpty(root, "name", where);
    String label = nonEmpty(root, "label", where);
    JsonNode rows = root.path("rows");
    if (!rows.isMissingNode() && !rows.isObject()) {
      throw new BadInputException(where + ": 'rows' must be an object with min and max");
    }
    if (rows.isObject()) {
      onlyFields(rows, where, "rows.", ROWS_FIELDS);
    }
    long minRows = rowBound(rows, "min", 1, where);
    long maxRows = rowBound(rows, "max", Long.MAX_VALUE, where);
    if (minRows < 0 || maxRows < minRows) {
      throw new BadInputException(where + ": rows.min and rows.max must satisfy 0 <= min <= max");
    }
    JsonNode cols = root.get("columns");
    if (cols == null || !cols.isArray() || cols.isEmpty()) {
      throw new BadInputException(where + ": 'columns' must be a non-empty array");
    }
    List<Column> columns = new ArrayList<>();
    Set<String> seen = new LinkedHashSet<>();
    for (JsonNode c : cols) {
      String at = where + ": column " + (columns.size() + 1);
      if (!c.isObject()) {
        throw new BadInputException(at + ": a column is a JSON object");
      }
      String cname = nonEmpty(c, "name", at);
      String col = at + " ('" + Text.clip(cname) + "'"; // a name in a message stays on one line
      onlyFields(c, col + ")", "", COLUMN_FIELDS);
      if (!seen.add(cname)) {
        throw new BadInputException(at + ": '" + Text.clip(cname) + "' declared twice");
      }
      String t = Json.requireText(c, "type", at);
      Type type =
          switch (t) {
            case "integer" -> Type.INTEGER;
            case "number" -> Type.NUMBER;
            case "categorical" -> Type.CATEGORICAL;
            case "purposes" -> Type.PURPOSES;
            default ->
                throw new BadInputException(
                    col + "): type '" + Text.clip(t)
                        + "' is not integer, number, categorical or purposes");
          };
      Set<String> values = new LinkedHashSet<>();
      boolean listed = type == Type.CATEGORICAL || type == Type.PURPOSES;
      for (String f : listed ? List.of("min", "max") : List.of("values")) {
        if (c.has(f)) {
          throw new BadInputException(col + "): '" + f + "' does not apply to "
              + (t.equals("integer") ? "an " : "a ") + t + " column"
              + (listed ? " (its 'values' list what it may hold)"
                  : " ('min' and 'max' bound it)"));
        }
      }
      if (listed) {
        JsonNode v = c.get("values");
        if (v == null || !v.isArray() || v.isEmpty()) {
          throw new BadInputException(
              col + "): a " + t + " column lists its 'values'");
        }
        for (JsonNode x : v) {
          if (!x.isTextual()) {
            throw new BadInputException(col + "): value " + Text.clip(x.toString())
                + " is not a string (category values are text, as CSV cells are)");
          }
          if (type == Type.PURPOSES
              && (x.asText().isEmpty() || x.asText().contains(PURPOSE_SEPARATOR))) {
            throw new BadInputException(col + "): a purpose is a non-empty"
                + " word without '" + PURPOSE_SEPARATOR + "': '" + Text.clip(x.asText()) + "'");
          }
          values.add(x.asText());
        }
      }
      Sensitivity sensitivity = sensitivity(c, col + ")");
      if (type == Type.PURPOSES && sensitivity != Sensitivity.KEEP) {
        throw new BadInputException(col + "): the consent column is kept as"
            + " it is (it decides which rows are used)");
      }
      if (type == Type.PURPOSES && columns.stream().anyMatch(x -> x.type() == Type.PURPOSES)) {
        throw new BadInputException(col + "): a second consent (purposes)"
            + " column; a data set has at most one");
      }
      double min = bound(c, "min", Double.NEGATIVE_INFINITY, col + ")");
      double max = bound(c, "max", Double.POSITIVE_INFINITY, col + ")");
      if (min > max) {
        throw new BadInputException(col + "): min is above max");
      }
      columns.add(new Column(cname, type, values, min, max, sensitivity));
    }
    if (!seen.contains(label)) {
      throw new BadInputException(
          where + ": label column '" + Text.clip(label) + "' is not declared");
    }
    for (Column c : columns) {
      if (c.name().equals(label)
          && (c.type() == Type.PURPOSES || c.sensitivity() != Sensitivity.KEEP)) {
        throw new BadInputException(where + ": label column '" + Text.clip(label)
            + "' must be kept as it is and cannot be the consent column");
      }
    }
    return new Schema(name, label, minRows, maxRows, columns, Digest.of(bytes));
  }

  private static final List<String> TOP_FIELDS = List.of("name", "label", "rows", "columns");
  private static final List<String> ROWS_FIELDS = List.of("min", "max");
  private static final List<String> COLUMN_FIELDS =
      List.of("name", "type", "values", "min", "max", "sensitivity");

  /** Refuses a field of {@code o} not in {@code known}, naming it and the fields known. */
  private static void onlyFields(JsonNode o, String where, String prefix, List<String> known)
      throws BadInputException {
    for (var it = o.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!known.contains(f)) {
        throw new BadInputException(where + ": unknown field '" + prefix + Text.clip(f)
            + "' (a schema knows " + known.stream().map(k -> prefix + k).toList() + ")");
      }
    }
  }

  private static String nonEmpty(JsonNode o, String field, String where)
      throws BadInputException {
    String v = Json.requireText(o, field, where);
    if (v.isEmpty()) {
      throw new BadInputException(where + ": field '" + field + "' is empty");
    }
    return v;
  }

  private static Sensitivity sensitivity(JsonNode column, String where)
      throws BadInputException {
    JsonNode v = column.get("sensitivity");
    if (v == null) {
      return Sensitivity.KEEP;
    }
    for (Sensitivity s : Sensitivity.values()) {
      if (v.isTextual() && s.spelling().equals(v.asText())) {
        return s;
      }
    }
    throw new BadInputException(where + ": sensitivity " + v
        + " is not keep, tokenise, encrypt or drop");
  }

  private static long rowBound(JsonNode rows, String field, long dflt, String where)
      throws BadInputException {
    JsonNode v = rows.get(field);
    if (v == null) {
      return dflt;
    }
    if (!v.isIntegralNumber() || !v.canConvertToLong()) {
      throw new BadInputException(where + ": rows." + field + " must be an integer");
    }
    return v.asLong();
  }

  private static double bound(JsonNode column, String field, double dflt, String where)
      throws BadInputException {
    JsonNode v = column.get(field);
    if (v == null) {
      return dflt;
    }
    if (!v.isNumber() || !Double.isFinite(v.asDouble())) {
      throw new BadInputException(where + ": " + field + " must be a finite number");
    }
    return v.asDouble();
  }
}
