package dev.bastion.data;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Digest;
import dev.bastion.core.InputFiles;
import dev.bastion.core.Json;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The declared shape of a data set: its columns with types, allowed categories and numeric ranges,
 * the label column, and the accepted row count.
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
    CATEGORICAL
  }

  /**
   * One column.
   *
   * @param name its header
   * @param type its type
   * @param values allowed values of a categorical column
   * @param min smallest allowed value of a numeric column
   * @param max largest allowed value of a numeric column
   */
  public record Column(String name, Type type, Set<String> values, double min, double max) {
    public Column {
      values = java.util.Collections.unmodifiableSet(new LinkedHashSet<>(values));
    }

    public boolean numeric() {
      return type != Type.CATEGORICAL;
    }
  }

  public Schema {
    columns = List.copyOf(columns);
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
    String name = Json.requireText(root, "name", where);
    String label = Json.requireText(root, "label", where);
    JsonNode rows = root.path("rows");
    if (!rows.isMissingNode() && !rows.isObject()) {
      throw new BadInputException(where + ": 'rows' must be an object with min and max");
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
      String cname = Json.requireText(c, "name", at);
      if (!seen.add(cname)) {
        throw new BadInputException(at + ": '" + cname + "' declared twice");
      }
      String t = Json.requireText(c, "type", at);
      Type type =
          switch (t) {
            case "integer" -> Type.INTEGER;
            case "number" -> Type.NUMBER;
            case "categorical" -> Type.CATEGORICAL;
            default ->
                throw new BadInputException(
                    at + " ('" + cname + "'): type '" + t
                        + "' is not integer, number or categorical");
          };
      Set<String> values = new LinkedHashSet<>();
      if (type == Type.CATEGORICAL) {
        JsonNode v = c.get("values");
        if (v == null || !v.isArray() || v.isEmpty()) {
          throw new BadInputException(
              at + " ('" + cname + "'): a categorical column lists its 'values'");
        }
        v.forEach(x -> values.add(x.asText()));
      }
      double min = bound(c, "min", Double.NEGATIVE_INFINITY, at + " ('" + cname + "')");
      double max = bound(c, "max", Double.POSITIVE_INFINITY, at + " ('" + cname + "')");
      if (min > max) {
        throw new BadInputException(at + " ('" + cname + "'): min is above max");
      }
      columns.add(new Column(cname, type, values, min, max));
    }
    if (!seen.contains(label)) {
      throw new BadInputException(where + ": label column '" + label + "' is not declared");
    }
    return new Schema(name, label, minRows, maxRows, columns, Digest.of(bytes));
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
