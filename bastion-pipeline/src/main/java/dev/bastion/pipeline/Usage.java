package dev.bastion.pipeline;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Json;
import dev.bastion.crypto.FieldEncryptor;
import dev.bastion.crypto.FieldTokenizer;
import dev.bastion.data.Schema;
import dev.bastion.data.Table;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * What a pipeline may do with a data set, from the data set's declarations (its schema) and the
 * pipeline's: which rows it may use (the rows whose consent column lists the pipeline's purpose)
 * and what happens to each column before anything is stored (kept, tokenised, encrypted or
 * dropped).
 */
final class Usage {
  private final String purpose;
  private final Optional<Schema.Column> consent;
  private final List<String> tokenised;
  private final List<String> encrypted;
  private final List<String> dropped;

  private Usage(String purpose, Optional<Schema.Column> consent, List<String> tokenised,
      List<String> encrypted, List<String> dropped) {
    this.purpose = purpose;
    this.consent = consent;
    this.tokenised = List.copyOf(tokenised);
    this.encrypted = List.copyOf(encrypted);
    this.dropped = List.copyOf(dropped);
  }

  /**
   * The usage of {@code schema}'s data set by {@code def}.
   *
   * @throws BadInputException if the declarations contradict each other, or the data set has a
   *     consent column and the pipeline declares no purpose (or one the column does not know)
   */
  static Usage of(PipelineDefinition def, Schema schema) throws BadInputException {
    List<String> tokenised = new ArrayList<>();
    for (String col : def.protect()) {
      Schema.Column c = schema.column(col).orElseThrow(() -> new BadInputException(
          def.file() + ": protect: column '" + col + "' is not in the schema"));
      if (c.type() != Schema.Type.CATEGORICAL || col.equals(schema.label())) {
        throw new BadInputException(
            def.file() + ": protect: column '" + col
                + "' must be a categorical input column to be tokenised");
      }
      if (c.sensitivity() == Schema.Sensitivity.ENCRYPT
          || c.sensitivity() == Schema.Sensitivity.DROP) {
        throw new BadInputException(def.file() + ": protect: column '" + col + "' is declared '"
            + c.sensitivity().spelling() + "' in " + def.schema() + "; it cannot also be tokenised");
      }
    }
    for (Schema.Column c : schema.columns()) {
      if (c.sensitivity() == Schema.Sensitivity.TOKENISE && c.type() != Schema.Type.CATEGORICAL) {
        throw new BadInputException(def.schema() + ": column '" + c.name()
            + "': tokenise applies to categorical columns (a token is not a number)");
      }
      if (c.sensitivity() == Schema.Sensitivity.TOKENISE || def.protect().contains(c.name())) {
        tokenised.add(c.name());
      }
    }
    Optional<Schema.Column> consent = schema.consentColumn();
    if (consent.isPresent()) {
      String col = consent.get().name();
      if (def.purpose().isEmpty()) {
        throw new BadInputException(def.file() + ": 'purpose' is missing: data set '"
            + schema.name() + "' records per-row consent (column '" + col
            + "'), so a pipeline must say what it uses the data for");
      }
      if (!consent.get().values().contains(def.purpose())) {
        throw new BadInputException(def.file() + ": purpose '" + def.purpose()
            + "' is not one that data set '" + schema.name() + "' asks consent for (column '"
            + col + "': " + String.join(", ", consent.get().values()) + ")");
      }
    }
    return new Usage(def.purpose(), consent, tokenised,
        schema.columnsWith(Schema.Sensitivity.ENCRYPT),
        schema.columnsWith(Schema.Sensitivity.DROP));
  }

  /** Columns replaced by deterministic tokens, in schema order. */
  List<String> tokenised() {
    return tokenised;
  }

  /** Columns replaced by randomised ciphertexts. */
  List<String> encrypted() {
    return encrypted;
  }

  /** Columns removed. */
  List<String> dropped() {
    return dropped;
  }

  /** The rows of {@code t} whose consent covers the purpose (all rows without a consent column). */
  Table consented(Table t) {
    if (consent.isEmpty()) {
      return t;
    }
    int i = t.indexOf(consent.get().name());
    if (i < 0) {
      // Validation found the column missing first; never reached with a valid table.
      throw new IllegalStateException("no consent column " + consent.get().name());
    }
    return t.filterRows(r -> covers(r.cells().get(i)));
  }

  private boolean covers(String cell) {
    return !cell.isEmpty()
        && Arrays.asList(cell.split(Schema.PURPOSE_SEPARATOR, -1)).contains(purpose);
  }

  /** {@code t} with every sensitive column tokenised, encrypted or dropped. */
  Table protect(Table t, FieldTokenizer tokenizer, FieldEncryptor encryptor) {
    Table out = t;
    for (String col : tokenised) {
      out = out.mapColumn(col, v -> tokenizer.tokenize(col, v));
    }
    for (String col : encrypted) {
      out = out.mapColumn(col, v -> encryptor.encrypt(col, v));
    }
    for (String col : dropped) {
      out = out.withoutColumn(col);
    }
    return out;
  }

  /** For the gate and the provenance: the consent column, the purpose and what was excluded. */
  ObjectNode consentEvidence(long rowsIn, long excluded) {
    ObjectNode o = Json.object();
    o.put("purpose", purpose);
    o.put("declared", consent.isPresent());
    if (consent.isPresent()) {
      o.put("column", consent.get().name());
      o.put("rows_in", rowsIn);
      o.put("excluded_rows", excluded);
    }
    return o;
  }

  /** For the gate and the provenance: which columns were tokenised, encrypted, dropped. */
  ObjectNode sensitivityEvidence() {
    ObjectNode o = Json.object();
    o.set("tokenised", array(tokenised));
    o.set("encrypted", array(encrypted));
    o.set("dropped", array(dropped));
    return o;
  }

  /** {@code "; encrypted a; dropped b"} for what besides tokenisation was done, or nothing. */
  String describeOthers() {
    StringBuilder sb = new StringBuilder();
    if (!encrypted.isEmpty()) {
      sb.append("; encrypted ").append(String.join(", ", encrypted));
    }
    if (!dropped.isEmpty()) {
      sb.append("; dropped ").append(String.join(", ", dropped));
    }
    return sb.toString();
  }

  private static ArrayNode array(List<String> xs) {
    ArrayNode a = Json.array();
    xs.forEach(a::add);
    return a;
  }
}
