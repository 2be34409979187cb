package dev.bastion.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bastion.attest.Envelope;
import dev.bastion.core.Digest;
import dev.bastion.core.Json;
import dev.bastion.data.CsvReader;
import dev.bastion.data.Table;
import dev.bastion.ledger.Event;
import dev.bastion.ledger.EventKind;
import dev.bastion.ledger.LedgerVerifier;
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
 * The poisoning screen at ingestion: rows the policy's detectors flag are quarantined into their
 * own artifact (on the ledger) and never trained on, or left for the gate's rule to fail the
 * batch.
 */
class QuarantineTest {
  @TempDir Path tmp;
  private Path pipeline;
  private static final int COPIES = 12;

  /** The credit data with its first rows appended again: exact duplicates. */
  @BeforeEach
  void example() throws Exception {
    pipeline = CreditExample.copyTo(tmp.resolve("credit"));
    Path csv = pipeline.getParent().resolve("credit-g.csv");
    List<String> lines = new ArrayList<>(Files.readAllLines(csv));
    for (int i = 1; i <= COPIES; i++) {
      lines.add(lines.get(i));
    }
    Files.write(csv, lines);
  }

  private static Table csv(byte[] b, String name) throws Exception {
    return new CsvReader().read(new StringReader(new String(b, StandardCharsets.UTF_8)), name);
  }

  @Test
  void duplicatedRowsAreQuarantinedAndNeverTrainedOn() throws Exception {
    try (Home home = Home.init(tmp.resolve("home"))) {
      ModelChain chain = CreditExample.run(home, pipeline).chain();
      String run = home.integrity().openSession("test");
      JsonNode internal = Json.parse(Envelope.parse(home.store().get(chain.ingest(), "t", run),
          "ingest").payload(), "ingest").path("predicate").path("buildDefinition")
          .path("internalParameters").path("screening");
      assertThat(internal.path("action").asText()).isEqualTo("quarantine");
      assertThat(internal.path("by_detector").path("duplicate").asInt())
          .isGreaterThanOrEqualTo(COPIES);
      int quarantined = internal.path("quarantined_rows").asInt();
      assertThat(quarantined).isGreaterThanOrEqualTo(COPIES)
          .isEqualTo(internal.path("suspect_rows").asInt());
      Digest q = Digest.parse(internal.path("quarantine").asText());

      Table snapshot = csv(home.store().get(chain.snapshot(), "t", run), "snapshot");
      Table held = csv(home.store().get(q, "t", run), "quarantine");
      assertThat(snapshot.rows()).hasSize(1000 + COPIES - quarantined);
      assertThat(held.rows()).hasSize(quarantined);
      assertThat(held.columns()).isEqualTo(snapshot.columns());
      // One copy of each duplicated row stays; the snapshot holds no row twice (compared on the
      // stored cells: tokens are deterministic).
      List<List<String>> kept = snapshot.rows().stream().map(Table.Row::cells).toList();
      assertThat(kept).doesNotHaveDuplicates();

      List<Event> events = LedgerVerifier.events(tmp.resolve("home").resolve("ledger"));
      assertThat(events).anySatisfy(e -> {
        assertThat(e.kind()).isEqualTo(EventKind.ARTIFACT_PUT);
        assertThat(e.object()).isEqualTo(q.toString());
        assertThat(e.details()).containsEntry("kind", "quarantine");
      });
      assertThat(events).anySatisfy(e -> {
        assertThat(e.kind()).isEqualTo(EventKind.STAGE_END);
        assertThat(e.action()).isEqualTo("ingest");
        assertThat(e.details()).containsEntry("quarantine", q.toString())
            .containsEntry("quarantined_rows", Integer.toString(quarantined));
      });
    }
  }

  @Test
  void aPolicyThatKeepsSuspectsCanFailTheBatch() throws Exception {
    try (Home home = Home.init(tmp.resolve("home"))) {
      Path gates = Home.policiesFile(tmp.resolve("home"));
      Files.writeString(gates, Files.readString(gates)
          .replace("\"suspect_rows\": \"quarantine\"", "\"suspect_rows\": \"keep\"")
          .replace("data.quarantined_fraction <= 0.05", "data.suspect_rows == 0"));
      home.approvePolicies(Integrity.currentUser());
      assertThatThrownBy(() -> CreditExample.run(home, pipeline))
          .isInstanceOf(GateFailedException.class)
          .hasMessageContaining("data.suspect_rows == 0");
      assertThat(home.registry().latest("credit-risk")).isEmpty();
    }
  }

  @Test
  void aPolicyNamingAnUnknownDetectorIsRefused() throws Exception {
    try (Home home = Home.init(tmp.resolve("home"))) {
      Path gates = Home.policiesFile(tmp.resolve("home"));
      Files.writeString(gates, Files.readString(gates).replace("\"trigger\"", "\"triggers\""));
      assertThatThrownBy(() -> home.approvePolicies(Integrity.currentUser()))
          .isInstanceOf(dev.bastion.core.BadInputException.class)
          .hasMessageContaining("'triggers', which is not a detector");
      // Approved without that check (as an earlier version did): the run refuses it too.
      home.integrity().approve(gates, "gate-policy", "gates", "reviewer");
      assertThatThrownBy(() -> CreditExample.run(home, pipeline))
          .isInstanceOf(dev.bastion.core.BadInputException.class)
          .hasMessageContaining("'triggers', which is not a detector");
    }
  }
}
