package dev.bastion.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.attest.Envelope;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Digest;
import dev.bastion.core.VerificationException;
import dev.bastion.registry.ModelChain;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Lineage from the signed provenance: the graph, its three formats, and forged steps refused. */
class LineageTest {
  @TempDir Path tmp;

  @Test
  void aModelLeadsBackToItsSourceFileThroughTheSnapshot() throws Exception {
    Path pipeline = CreditExample.copyTo(tmp.resolve("credit"));
    try (Home home = Home.init(tmp.resolve("home"))) {
      ModelChain chain = CreditExample.run(home, pipeline).chain();
      String run = home.integrity().openSession("test");
      Lineage.Graph g = Lineage.of(home, chain.model(), "auditor", run);

      assertThat(g.steps()).extracting(Lineage.Step::stage).containsExactly("train", "ingest");
      Lineage.Step train = g.madeBy(chain.model()).get(0);
      assertThat(train.builder()).isEqualTo("trainer");
      assertThat(train.inputs()).containsEntry("snapshot", chain.snapshot());
      Lineage.Step ingest = g.madeBy(chain.snapshot()).get(0);
      assertThat(ingest.attestation()).isEqualTo(chain.ingest());
      String source = pipeline.getParent().resolve("credit-g.csv").toUri().toString();
      assertThat(ingest.source()).isEqualTo(source);
      assertThat(ingest.code()).startsWith("bastion ");
      assertThat(ingest.inputs()).containsKeys("data", "schema", "pipeline");

      String text = Lineage.text(g);
      assertThat(text.lines().findFirst().orElseThrow()).isEqualTo("model " + chain.model());
      assertThat(text).contains("<- train in " + train.runId() + ", signed by trainer")
          .contains("    snapshot " + chain.snapshot())
          .contains("data " + ingest.inputs().get("data") + " from " + source);

      String dot = Lineage.dot(g);
      assertThat(dot).startsWith("digraph lineage {")
          .contains("\"" + chain.snapshot() + "\" -> \"" + chain.model() + "\" [label=\"train\"]")
          .contains("\"" + ingest.inputs().get("data") + "\" -> \"" + chain.snapshot()
              + "\" [label=\"ingest\"]");

      List<ObjectNode> events = Lineage.openLineage(g);
      assertThat(events).extracting(e -> e.path("eventType").asText())
          .containsExactly("START", "COMPLETE", "START", "COMPLETE");
      assertThat(events).extracting(e -> e.path("job").path("name").asText())
          .containsExactly("credit-risk.ingest", "credit-risk.ingest", "credit-risk.train",
              "credit-risk.train");
      for (ObjectNode e : events) {
        assertThat(e.path("schemaURL").asText()).isEqualTo(Lineage.OPENLINEAGE_SCHEMA);
        assertThat(e.path("producer").asText()).startsWith("urn:bastion:");
        assertThat(e.path("eventTime").asText()).isNotEmpty();
        UUID.fromString(e.path("run").path("runId").asText()); // a UUID, as the spec asks
      }
      ObjectNode done = events.get(1);
      assertThat(done.path("outputs").get(0).path("name").asText())
          .isEqualTo(chain.snapshot().toString());
      assertThat(done.path("inputs").toString()).contains("\"namespace\":\"file\"")
          .contains(pipeline.getParent().resolve("credit-g.csv").toString());
      // START and COMPLETE of one step share the run id; two steps do not.
      assertThat(events.get(0).path("run").path("runId"))
          .isEqualTo(events.get(1).path("run").path("runId"))
          .isNotEqualTo(events.get(2).path("run").path("runId"));

      // A report's lineage goes through the model.
      Lineage.Graph r = Lineage.of(home, chain.report(), "auditor", run);
      assertThat(r.steps()).extracting(Lineage.Step::stage)
          .containsExactly("evaluate", "train", "ingest"); // inputs by role: model, snapshot

      // Something no step made.
      assertThatThrownBy(() -> Lineage.of(home, Digest.of(new byte[] {1}), "auditor", run))
          .isInstanceOf(BadInputException.class)
          .hasMessageContaining("no signed provenance");
    }
  }

  @Test
  void aProvenanceSignedByAnotherComponentThanItsBuilderIsRefused() throws Exception {
    Path pipeline = CreditExample.copyTo(tmp.resolve("credit"));
    try (Home home = Home.init(tmp.resolve("home"))) {
      ModelChain chain = CreditExample.run(home, pipeline).chain();
      String run = home.integrity().openSession("test");
      // The ingest provenance re-signed by the gateway: a valid signature, but not its builder's.
      Envelope real = Envelope.parse(home.store().get(chain.ingest(), "test", run), "ingest");
      Envelope forged = Envelope.sign(real.payloadType(),
          new String(real.payload(), java.nio.charset.StandardCharsets.UTF_8)
              .replace("credit-g.csv", "other.csv")
              .getBytes(java.nio.charset.StandardCharsets.UTF_8),
          home.keyring().signer("gateway"));
      home.store().put(forged.toJson(), "attestation", "attacker", run);
      assertThatThrownBy(() -> Lineage.of(home, chain.model(), "auditor", run))
          .isInstanceOf(VerificationException.class)
          .hasMessageContaining("attestation");
    }
  }
}
