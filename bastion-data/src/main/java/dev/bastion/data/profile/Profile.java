package dev.bastion.data.profile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Digest;
import dev.bastion.core.Json;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * The profile of a data set: its row count, the files it was built from, and one {@link
 * ColumnProfile} per column. Immutable: {@link #merge} returns a new profile.
 *
 * <p>Its JSON form ({@link #toJson()}) is canonical and self-checking: the sketches are stored in
 * base64 beside readable summaries derived from them, and {@link #fromJson} refuses a document
 * whose readable fields, counts or layout differ from what its sketches give.
 */
public final class Profile {
  /** The format identifier in the JSON. */
  public static final String FORMAT = "urn:bastion:data-profile:v1";

  /** The in-toto predicate type of a signed profile. */
  public static final String PREDICATE_TYPE = "urn:bastion:predicate:data-profile:v1";

  /** Most columns and sources accepted when reading a profile. */
  public static final int MAX_COLUMNS = 4096;

  public static final int MAX_SOURCES = 10_000;

  /**
   * A file a profile was built from.
   *
   * @param name its name as given
   * @param sha256 the SHA-256 of its bytes
   * @param rows its data rows
   */
  public record Source(String name, Digest sha256, long rows) {}

  private final long rows;
  private final List<Source> sources;
  private final List<ColumnProfile> columns;

  Profile(long rows, List<Source> sources, List<ColumnProfile> columns) {
    this.rows = rows;
    this.sources = List.copyOf(sources);
    this.columns = List.copyOf(columns);
  }

  public long rows() {
    return rows;
  }

  public List<Source> sources() {
    return sources;
  }

  /** Column names in file order. */
  public List<String> columnNames() {
    return columns.stream().map(ColumnProfile::name).toList();
  }

  /** A copy of the column's profile. */
  public Optional<ColumnProfile> column(String name) {
    return columns.stream().filter(c -> c.name().equals(name)).findFirst()
        .map(ColumnProfile::copy);
  }

  /** Copies of all column profiles. */
  public List<ColumnProfile> columns() {
    return columns.stream().map(ColumnProfile::copy).toList();
  }

  /**
   * The profile of this data followed by {@code more}'s, column by column by name (in this
   * profile's order: data whose file has the same columns in another order merges).
   *
   * @throws BadInputException if the columns differ, naming one that is not in both
   */
  public Profile merge(Profile more) throws BadInputException {
    if (!new java.util.HashSet<>(columnNames()).equals(new java.util.HashSet<>(
        more.columnNames()))) {
      List<String> onlyHere = new ArrayList<>(columnNames());
      onlyHere.removeAll(more.columnNames());
      List<String> onlyThere = new ArrayList<>(more.columnNames());
      onlyThere.removeAll(columnNames());
      throw new BadInputException("the profiles have different columns: "
          + (onlyHere.isEmpty() ? "" : "only in the first " + onlyHere
              + (onlyThere.isEmpty() ? "" : ", "))
          + (onlyThere.isEmpty() ? "" : "only in the second " + onlyThere));
    }
    List<ColumnProfile> merged = new ArrayList<>();
    for (ColumnProfile here : columns) {
      ColumnProfile c = here.copy();
      c.merge(more.column(here.name()).orElseThrow());
      merged.add(c);
    }
    List<Source> s = new ArrayList<>(sources);
    s.addAll(more.sources);
    return new Profile(rows + more.rows, s, merged);
  }

  /** The JSON tree. */
  public ObjectNode toJsonNode() {
    ObjectNode o = Json.object();
    o.put("format", FORMAT);
    o.put("rows", rows);
    ArrayNode s = o.putArray("sources");
    for (Source src : sources) {
      s.addObject().put("name", src.name()).put("sha256", src.sha256().hex())
          .put("rows", src.rows());
    }
    ArrayNode c = o.putArray("columns");
    columns.forEach(col -> c.add(col.toJson()));
    return o;
  }

  /** The canonical JSON bytes. */
  public byte[] toJson() {
    return Json.canonical(toJsonNode());
  }

  /**
   * Reads a profile, from untrusted input: limits, the format, each sketch's invariants, counts
   * consistent with the sketches and the row count, and the document equal to the canonical form
   * of what it holds.
   *
   * @throws BadInputException naming {@code where}, if it is not such a profile
   */
  public static Profile fromJson(JsonNode o, String where) throws BadInputException {
    if (!o.isObject() || !FORMAT.equals(o.path("format").asText())) {
      throw new BadInputException(where + ": not a data profile (format is not " + FORMAT + ")");
    }
    JsonNode r = o.get("rows");
    if (r == null || !r.isIntegralNumber() || !r.canConvertToLong() || r.asLong() < 0) {
      throw new BadInputException(where + ": 'rows' must be a count");
    }
    long rows = r.asLong();
    JsonNode src = o.get("sources");
    if (src == null || !src.isArray() || src.size() > MAX_SOURCES) {
      throw new BadInputException(where + ": 'sources' must be an array of at most "
          + MAX_SOURCES);
    }
    List<Source> sources = new ArrayList<>();
    long sourceRows = 0;
    for (JsonNode s : src) {
      String at = where + ": source " + (sources.size() + 1);
      String name = Json.requireText(s, "name", at);
      Digest d;
      try {
        d = Digest.parse(Json.requireText(s, "sha256", at));
      } catch (IllegalArgumentException e) {
        throw new BadInputException(at + ": 'sha256' is not a SHA-256 digest", e);
      }
      JsonNode n = s.get("rows");
      if (n == null || !n.isIntegralNumber() || !n.canConvertToLong() || n.asLong() < 0) {
        throw new BadInputException(at + ": 'rows' must be a count");
      }
      sourceRows += n.asLong();
      sources.add(new Source(name, d, n.asLong()));
    }
    if (sourceRows != rows) {
      throw new BadInputException(where + ": the sources' rows do not add up to 'rows'");
    }
    JsonNode cols = o.get("columns");
    if (cols == null || !cols.isArray() || cols.isEmpty() || cols.size() > MAX_COLUMNS) {
      throw new BadInputException(where + ": 'columns' must be an array of 1 to " + MAX_COLUMNS);
    }
    List<ColumnProfile> columns = new ArrayList<>();
    java.util.Set<String> names = new java.util.HashSet<>();
    for (JsonNode c : cols) {
      ColumnProfile cp = ColumnProfile.fromJson(c, where + ": column " + (columns.size() + 1));
      if (!names.add(cp.name())) {
        throw new BadInputException(where + ": column '" + cp.name() + "' appears twice");
      }
      if (cp.count() != rows) {
        throw new BadInputException(where + ": column '" + cp.name() + "' counts " + cp.count()
            + " cells for " + rows + " rows");
      }
      columns.add(cp);
    }
    Profile p = new Profile(rows, sources, columns);
    if (!Arrays.equals(p.toJson(), Json.canonical(o))) {
      throw new BadInputException(
          where + ": the profile's summaries or fields differ from what its sketches give");
    }
    return p;
  }

  /** Parses profile JSON bytes. */
  public static Profile parse(byte[] json, String where) throws BadInputException {
    return fromJson(Json.parse(json, where), where);
  }
}
