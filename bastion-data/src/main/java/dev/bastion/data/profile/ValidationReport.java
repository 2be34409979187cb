package dev.bastion.data.profile;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.Json;
import dev.bastion.data.Validator;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything found when validating a data set: the schema issues (columns, types, domains,
 * presence, ranges, row count) from {@link Validator}, and the drift test of every column compared
 * with a reference profile. It passes when there is no schema issue and no column drifted.
 *
 * @param file the data file
 * @param schema the schema check
 * @param drift every drift test run (empty without a reference)
 * @param reference whether a reference profile was given
 */
public record ValidationReport(
    String file, Validator.Result schema, List<Drift.Test> drift, boolean reference) {
  public ValidationReport {
    drift = List.copyOf(drift);
  }

  public boolean ok() {
    return schema.ok() && drift.stream().noneMatch(Drift.Test::drifted);
  }

  /** The issues, one line each: schema issues, then the columns that drifted. */
  public List<String> issueLines() {
    List<String> out = new ArrayList<>();
    schema.issues().forEach(i -> out.add(i.describe()));
    if (schema.issueCount() > schema.issues().size()) {
      out.add(file + ": " + (schema.issueCount() - schema.issues().size())
          + " more schema issues not listed");
    }
    drift.stream().filter(Drift.Test::drifted)
        .forEach(t -> out.add(file + ": drift: " + t.describe()));
    return out;
  }

  /** The report as JSON: every issue, and every drift test whether it drifted or not. */
  public ObjectNode toJson() {
    ObjectNode o = Json.object();
    o.put("file", file);
    o.put("ok", ok());
    o.put("rows", schema.rows());
    o.put("invalid_rows", schema.invalidRows());
    o.put("issue_count", schema.issueCount() + drift.stream().filter(Drift.Test::drifted).count());
    ArrayNode issues = o.putArray("issues");
    for (Validator.Issue i : schema.issues()) {
      ObjectNode n = issues.addObject();
      n.put("test", "schema");
      n.put("column", i.column());
      n.put("line", i.line());
      n.put("row", i.row());
      n.put("message", i.message());
    }
    for (Drift.Test t : drift) {
      if (t.drifted()) {
        issues.add(t.toJson());
      }
    }
    if (reference) {
      ArrayNode tests = o.putArray("drift");
      drift.forEach(t -> tests.add(t.toJson()));
    }
    return o;
  }
}
