package dev.bastion.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bastion.attest.Envelope;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Json;
import dev.bastion.crypto.FieldEncryptor;
import dev.bastion.crypto.FieldTokenizer;
import dev.bastion.data.CsvReader;
import dev.bastion.data.Table;
import dev.bastion.registry.ModelChain;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Consent and sensitivity at ingestion: rows whose consent does not cover the pipeline's purpose
 * never reach the store, sensitive columns are tokenised, encrypted or dropped before anything is
 * stored, and the counts are in the signed evidence.
 */
class UsageTest {
  @TempDir Path tmp;
  private Path pipeline;
  private Table original;

  /** Row i consents to: credit-scoring and marketing, credit-scoring, marketing, nothing. */
  private static final String[] CONSENT = {"credit-scoring;marketing", "credit-scoring",
      "marketing", ""};

  @BeforeEach
  void example() throws Exception {
    pipeline = CreditExample.copyTo(tmp.resolve("credit"));
    Path dir = pipeline.getParent();
    original = new CsvReader().read(dir.resolve("credit-g.csv"));
    List<String> lines = new ArrayList<>();
    lines.add(String.join(",", original.columns()) + ",consent");
    List<String> raw = Files.readAllLines(dir.resolve("credit-g.csv"));
    for (int i = 1; i < raw.size(); i++) {
      lines.add(raw.get(i) + "," + CONSENT[(i - 1) % 4]);
    }
    Files.write(dir.resolve("credit-g.csv"), lines);
    String schema = Files.readString(dir.resolve("schema.json"))
        .replace("{\"name\": \"age\", \"type\": \"integer\", \"min\": 18, \"max\": 100}",
            "{\"name\": \"age\", \"type\": \"integer\", \"min\": 18, \"max\": 100,"
                + " \"sensitivity\": \"encrypt\"}")
        .replace("{\"name\": \"own_telephone\", \"type\": \"categorical\", \"values\": [\"none\","
                + " \"yes\"]}",
            "{\"name\": \"own_telephone\", \"type\": \"categorical\", \"values\": [\"none\","
                + " \"yes\"], \"sensitivity\": \"drop\"}")
        .replace("{\"name\": \"class\"",
            "{\"name\": \"consent\", \"type\": \"purposes\", \"values\": [\"credit-scoring\","
                + " \"marketing\", \"research\"]},\n    {\"name\": \"class\"");
    assertThat(schema).contains("\"encrypt\"").contains("\"drop\"").contains("\"purposes\"");
    Files.writeString(dir.resolve("schema.json"), schema);
  }

  private void purpose(String line) throws Exception {
    String p = Files.readString(pipeline);
    Files.writeString(pipeline, p.replace("schema: schema.json\n", "schema: schema.json\n" + line));
  }

  /** Suspect rows stay in the batch (so that row k of the snapshot is a known original row). */
  private static void keepSuspects(Home home, Path dir) throws Exception {
    Path gates = Home.policiesFile(dir);
    Files.writeString(gates, Files.readString(gates)
        .replace("\"suspect_rows\": \"quarantine\"", "\"suspect_rows\": \"keep\""));
    home.approvePolicies(Integrity.currentUser());
  }

  @Test
  void onlyConsentedRowsAreStoredAndSensitiveColumnsNeverInClear() throws Exception {
    purpose("purpose: credit-scoring\n");
    try (Home home = Home.init(tmp.resolve("home"))) {
      keepSuspects(home, tmp.resolve("home"));
      Runner.Result r = CreditExample.run(home, pipeline);
      ModelChain chain = r.chain();
      Table snap = new CsvReader().read(new StringReader(new String(
          home.store().get(chain.snapshot(), "test", "check"), StandardCharsets.UTF_8)), "snap");

      // Rows 0 and 1 of every 4 consented to credit scoring: 500 of 1000, in order.
      assertThat(snap.rows()).hasSize(500);
      assertThat(snap.columns()).doesNotContain("own_telephone").contains("consent", "age");
      int consent = snap.indexOf("consent");
      int age = snap.indexOf("age");
      int personal = snap.indexOf("personal_status");
      FieldEncryptor enc = home.keyring().fieldEncryptor();
      FieldTokenizer tok = home.keyring().tokenizer();
      int origAge = original.indexOf("age");
      int origPersonal = original.indexOf("personal_status");
      for (int k = 0; k < snap.rows().size(); k++) {
        List<String> cells = snap.rows().get(k).cells();
        int i = (k / 2) * 4 + (k % 2); // the k-th consented row of the original
        assertThat(cells.get(consent)).contains("credit-scoring");
        assertThat(cells.get(age)).startsWith(FieldEncryptor.PREFIX);
        assertThat(enc.decrypt("age", cells.get(age)))
            .isEqualTo(original.rows().get(i).cells().get(origAge));
        assertThat(tok.detokenize("personal_status", cells.get(personal)))
            .isEqualTo(original.rows().get(i).cells().get(origPersonal));
      }
      // Equal ages give different ciphertexts: encryption, not tokenisation.
      assertThat(snap.rows().stream().map(x -> x.cells().get(age)).distinct().count())
          .isEqualTo(500);

      // The counts are in the signed ingest provenance.
      JsonNode st = Json.parse(Envelope.parse(
          home.store().get(chain.ingest(), "test", "check"), "ingest").payload(), "ingest");
      JsonNode internal = st.path("predicate").path("buildDefinition")
          .path("internalParameters");
      assertThat(internal.path("consent").path("excluded_rows").asLong()).isEqualTo(500);
      assertThat(internal.path("consent").path("column").asText()).isEqualTo("consent");
      assertThat(internal.path("sensitivity").path("encrypted").toString())
          .isEqualTo("[\"age\"]");
      assertThat(internal.path("sensitivity").path("dropped").toString())
          .isEqualTo("[\"own_telephone\"]");
      assertThat(st.path("predicate").path("buildDefinition").path("externalParameters")
          .path("parameters").path("purpose").asText()).isEqualTo("credit-scoring");
    }
  }

  @Test
  void aPurposeNobodyConsentedToLeavesTooFewRowsAndTheGateStopsTraining() throws Exception {
    purpose("purpose: research\n");
    try (Home home = Home.init(tmp.resolve("home"))) {
      assertThatThrownBy(() -> CreditExample.run(home, pipeline))
          .isInstanceOf(GateFailedException.class)
          .hasMessageContaining("train");
      assertThat(home.registry().latest("credit-risk")).isEmpty();
    }
  }

  @Test
  void aDataSetWithConsentNeedsTheDeclaredPurposeOfThePipeline() throws Exception {
    try (Home home = Home.init(tmp.resolve("home"))) {
      assertThatThrownBy(() -> CreditExample.run(home, pipeline))
          .isInstanceOf(BadInputException.class)
          .hasMessageContaining("'purpose' is missing")
          .hasMessageContaining("consent");
    }
    purpose("purpose: advertising\n");
    try (Home home = Home.init(tmp.resolve("home-2"))) { // a changed pipeline needs a new approval
      assertThatThrownBy(() -> CreditExample.run(home, pipeline))
          .isInstanceOf(BadInputException.class)
          .hasMessageContaining("purpose 'advertising' is not one");
    }
  }
}
