package dev.bastion.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Digest;
import dev.bastion.core.Json;
import dev.bastion.data.CsvReader;
import dev.bastion.data.Schema;
import dev.bastion.data.Table;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The German credit example shipped in {@code examples/credit}, read once per JVM, and the model
 * trained on it. Surefire runs in the module directory, hence the {@code ..}.
 */
final class CreditFixtures {
  static final Path DIR = Path.of("..", "examples", "credit");

  /** A column tokenised as a protected field would be before training. */
  static final String PROTECTED = "personal_status";

  private static Table table;
  private static Table tokenised;
  private static Schema schema;
  private static TabularModel model;

  private CreditFixtures() {}

  static synchronized Table table() {
    if (table == null) {
      try {
        table = new CsvReader().read(DIR.resolve("credit-g.csv"));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (BadInputException e) {
        throw new IllegalStateException(e);
      }
    }
    return table;
  }

  static synchronized Schema schema() {
    if (schema == null) {
      try {
        schema = Schema.load(DIR.resolve("schema.json"));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (BadInputException e) {
        throw new IllegalStateException(e);
      }
    }
    return schema;
  }

  /** The table with {@link #PROTECTED} replaced by stand-in tokens. */
  static synchronized Table tokenised() {
    if (tokenised == null) {
      tokenised = table().mapColumn(PROTECTED, CreditFixtures::token);
    }
    return tokenised;
  }

  static String token(String value) {
    return "tok_" + Digest.of(("salt:" + value).getBytes(StandardCharsets.UTF_8)).shortHex();
  }

  /** The pipeline's train section for the example: predict "bad" credit. */
  static ObjectNode trainJson() {
    ObjectNode t = Json.object();
    t.put("positive_class", "bad");
    t.put("epochs", 30);
    t.put("learning_rate", 0.1);
    t.put("seed", 7);
    t.put("holdout", 0.3);
    return t;
  }

  static TrainParams params() {
    try {
      return TrainParams.fromJson(trainJson(), "pipeline.yaml");
    } catch (BadInputException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The model trained on the tokenised table with {@link #params()}. */
  static synchronized TabularModel model() {
    if (model == null) {
      try {
        model = Trainer.train(tokenised(), schema(), params(), List.of(PROTECTED));
      } catch (BadInputException e) {
        throw new IllegalStateException(e);
      }
    }
    return model;
  }

  /** A row as the instance a caller would send: every column but the label. */
  static Map<String, String> instance(Table t, Table.Row row) {
    Map<String, String> out = new LinkedHashMap<>();
    for (int i = 0; i < t.columns().size(); i++) {
      if (!t.columns().get(i).equals("class")) {
        out.put(t.columns().get(i), row.cells().get(i));
      }
    }
    return out;
  }
}
