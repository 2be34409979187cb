package dev.bastion.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bastion.core.CheckFailedException;
import dev.bastion.core.Digest;
import dev.bastion.ledger.Event;
import dev.bastion.ledger.EventKind;
import dev.bastion.ledger.LedgerVerifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pipeline integrity monitoring: each rule raises its alert, and the refusals refuse. */
class IntegrityTest {
  @TempDir Path tmp;
  private Path pipeline;
  private Home home;

  @BeforeEach
  void init() throws Exception {
    pipeline = CreditExample.copyTo(tmp.resolve("credit"));
    home = Home.init(tmp.resolve("home"));
  }

  @AfterEach
  void close() throws Exception {
    home.close();
  }

  private List<Event> alerts(String rule) throws Exception {
    return LedgerVerifier.events(home.dir().resolve("ledger")).stream()
        .filter(e -> e.kind() == EventKind.ALERT && e.action().equals(rule))
        .toList();
  }

  private Runner runner() {
    return new Runner(home, line -> {});
  }

  /** The actor is the operating system's user, not a JVM property anyone may set. */
  @Test
  void theCurrentUserCannotBeSetThroughTheUserNameProperty() {
    String real = ProcessHandle.current().info().user().orElseThrow();
    String before = System.getProperty("user.name");
    System.setProperty("user.name", real + "-not");
    try {
      assertThat(Integrity.currentUser()).isEqualTo(real);
    } finally {
      System.setProperty("user.name", before);
    }
  }

  /**
   * A "first run" approval is refused, with an alert, when the ledger holds an earlier approval:
   * removing the approval file does not get a changed definition or schema approved unreviewed.
   */
  @Test
  void aRemovedApprovalIsNotReplacedByAFirstRunApproval() throws Exception {
    PipelineDefinition def = PipelineDefinition.load(pipeline);
    Integrity integrity = home.integrity();
    assertThat(integrity.approveIfFirst(pipeline, "pipeline", def.name(), "test")).isTrue();
    assertThat(integrity.approveIfFirst(pipeline, "pipeline", def.name(), "test")).isFalse();
    Path approvals = home.dir().resolve("approvals");
    String safe = def.name().replaceAll("[^A-Za-z0-9._-]", "_");
    Files.writeString(pipeline, Files.readString(pipeline) + "\n# changed\n");
    Files.delete(approvals.resolve("pipeline-" + safe + ".json"));
    assertThatThrownBy(() -> integrity.approveIfFirst(pipeline, "pipeline", def.name(), "test"))
        .isInstanceOf(CheckFailedException.class)
        .hasMessageContaining("is missing, but the ledger approved")
        .hasMessageContaining("bastion approve " + pipeline);
    assertThat(alerts("pipeline-approval-missing")).hasSize(1);
    assertThat(approvals.resolve("pipeline-" + safe + ".json")).doesNotExist();

    // The schema's approval removed alone: the same.
    integrity.approve(pipeline, "pipeline", def.name(), "test");
    Files.delete(approvals.resolve("schema-" + safe + ".json"));
    assertThatThrownBy(() -> integrity.approveIfFirst(pipeline, "pipeline", def.name(), "test"))
        .isInstanceOf(CheckFailedException.class)
        .hasMessageContaining("the approval of schema '" + def.name() + "'");
    assertThat(alerts("schema-approval-missing")).hasSize(1);
  }

  @Test
  void anApprovedPipelineRunsThroughBastionRunWithoutAlerts() throws Exception {
    CreditExample.run(home, pipeline);
    assertThat(LedgerVerifier.events(home.dir().resolve("ledger")))
        .noneMatch(e -> e.kind() == EventKind.ALERT)
        .anyMatch(e -> e.kind() == EventKind.STAGE_START && e.action().equals("run")
            && e.details().get("entry_point").equals("bastion run"));
  }

  @Test
  void everyReadAndWriteOfTheSnapshotAndTheModelIsLoggedWithWhoAndWhichRun() throws Exception {
    Runner.Result r = CreditExample.run(home, pipeline);
    List<Event> events = LedgerVerifier.events(home.dir().resolve("ledger"));
    for (Digest d : List.of(r.chain().snapshot(), r.chain().model())) {
      List<Event> access = events.stream()
          .filter(e -> e.object().equals(d.toString()))
          .filter(e -> e.kind() == EventKind.ARTIFACT_PUT || e.kind() == EventKind.ARTIFACT_GET)
          .toList();
      assertThat(access).as("accesses of %s", d)
          .anyMatch(e -> e.kind() == EventKind.ARTIFACT_PUT)
          .anyMatch(e -> e.kind() == EventKind.ARTIFACT_GET)
          .allMatch(e -> e.runId().equals(r.runId()) && !e.actor().isBlank()
              && e.time() != null);
    }
    // The snapshot is written by ingest and read by the trainer, in that order.
    List<Event> snapshot = events.stream()
        .filter(e -> e.object().equals(r.chain().snapshot().toString())).toList();
    assertThat(snapshot.get(0).kind()).isEqualTo(EventKind.ARTIFACT_PUT);
    assertThat(snapshot.get(0).actor()).isEqualTo("ingest");
    assertThat(snapshot).anyMatch(e -> e.kind() == EventKind.ARTIFACT_GET
        && e.actor().equals("trainer"));
  }

  @Test
  void aModelNameThatIsNoNameIsRefusedWhenTheDefinitionIsRead() throws Exception {
    String yaml = java.nio.file.Files.readString(pipeline);
    java.nio.file.Files.writeString(pipeline,
        yaml.replaceFirst("model: credit-risk", "model: ../evil"));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> PipelineDefinition.load(pipeline))
        .isInstanceOf(dev.bastion.core.BadInputException.class)
        .hasMessageContaining("register.model '../evil'");
    java.nio.file.Files.writeString(pipeline, "name: [unclosed\n  x: y\n");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> PipelineDefinition.load(pipeline))
        .isInstanceOf(dev.bastion.core.BadInputException.class)
        .hasMessageContaining("not valid YAML at line 2, column ")
        .hasMessageNotContaining("\n");
  }

  @Test
  void aPipelineNeverApprovedIsRefusedWithAnAlert() throws Exception {
    PipelineDefinition def = PipelineDefinition.load(pipeline);
    assertThatThrownBy(() -> runner().run(def, Integrity.Invocation.bastionRun()))
        .isInstanceOf(CheckFailedException.class)
        .hasMessageContaining("is not signed");
    assertThat(alerts("pipeline-unsigned")).hasSize(1);
    assertThat(home.registry().list()).isEmpty();
  }

  @Test
  void aPipelineChangedAfterApprovalIsRefusedWithAnAlert() throws Exception {
    PipelineDefinition def = PipelineDefinition.load(pipeline);
    home.integrity().approve(pipeline, "pipeline", def.name(), "reviewer");
    Files.writeString(pipeline, Files.readString(pipeline) + "\n# an extra line\n");
    PipelineDefinition changed = PipelineDefinition.load(pipeline);
    assertThatThrownBy(() -> runner().run(changed, Integrity.Invocation.bastionRun()))
        .isInstanceOf(CheckFailedException.class)
        .hasMessageContaining("differs from its signed version");
    assertThat(alerts("pipeline-modified")).singleElement()
        .satisfies(a -> assertThat(a.object()).isEqualTo(changed.digest().toString()));
    assertThat(home.registry().list()).isEmpty();
  }

  @Test
  void changedGatePoliciesAreRefusedUntilApprovedAndTheChangeIsAnAlert() throws Exception {
    Path gates = home.dir().resolve("policies/gates.json");
    Files.writeString(gates,
        Files.readString(gates).replace("metrics.auc >= 0.70", "metrics.auc >= 0.50"));
    assertThatThrownBy(() -> CreditExample.run(home, pipeline))
        .isInstanceOf(CheckFailedException.class)
        .hasMessageContaining("policies/gates.json: differs from its signed version");
    assertThat(alerts("gate-policy-modified")).hasSize(1);
    home.approvePolicies(Integrity.currentUser());
    assertThat(alerts("gate-policy-changed")).singleElement()
        .satisfies(a -> assertThat(a.actor()).isEqualTo(Integrity.currentUser()));
    assertThat(LedgerVerifier.events(home.dir().resolve("ledger")))
        .anyMatch(e -> e.kind() == EventKind.CONFIG_CHANGE
            && e.action().equals("approve-gate-policy")
            && e.actor().equals(Integrity.currentUser()));
    assertThat(CreditExample.run(home, pipeline).registration()).isNotNull();
  }

  @Test
  void onlyAnApprovedRunnerMayApproveTheRunnersList() throws Exception {
    Path runners = home.dir().resolve("policies/runners.json");
    Path approval = home.dir().resolve("approvals/runners-runners.json");
    byte[] approved = Files.readAllBytes(approval);
    Files.writeString(runners, "{\"runners\":[\"" + Integrity.currentUser()
        + "\",\"mallory\"]}\n");
    assertThatThrownBy(() -> home.approvePolicies("mallory"))
        .isInstanceOf(CheckFailedException.class)
        .hasMessage("approve --policies: 'mallory' is not on the approved runners list, so it"
            + " may not approve the gate policies or the runners list");
    assertThat(alerts("approve-refused")).singleElement()
        .satisfies(a -> assertThat(a.actor()).isEqualTo("mallory"));
    assertThat(Files.readAllBytes(approval)).isEqualTo(approved);
    // A runner approves the change; then the new runner may approve the next one.
    home.approvePolicies(Integrity.currentUser());
    assertThat(home.integrity().approvedRunners())
        .contains(java.util.Set.of(Integrity.currentUser(), "mallory"));
    Files.writeString(runners, "{\"runners\":[\"mallory\"]}\n");
    home.approvePolicies("mallory");
    assertThatThrownBy(() -> home.approvePolicies(Integrity.currentUser()))
        .isInstanceOf(CheckFailedException.class);
  }

  /**
   * A reviewer tightens the register gate and approves it; then the old file and its old
   * approval, both genuine, are put back: each verifies, but the ledger recorded the later
   * approval. Returns the old file's bytes.
   */
  private byte[] tightenThenPutBack() throws Exception {
    Path gates = home.dir().resolve("policies/gates.json");
    Path approval = home.dir().resolve("approvals/gate-policy-gates.json");
    byte[] oldGates = Files.readAllBytes(gates);
    byte[] oldApproval = Files.readAllBytes(approval);
    Files.writeString(gates,
        Files.readString(gates).replace("metrics.auc >= 0.70", "metrics.auc >= 0.80"));
    home.approvePolicies(Integrity.currentUser());
    Files.write(gates, oldGates);
    Files.write(approval, oldApproval);
    return oldGates;
  }

  @Test
  void gatePoliciesPutBackWithTheirEarlierApprovalAreRefused() throws Exception {
    byte[] oldGates = tightenThenPutBack();
    assertThatThrownBy(() -> CreditExample.run(home, pipeline))
        .isInstanceOf(CheckFailedException.class)
        .hasMessageContaining("policies/gates.json: its approval")
        .hasMessageContaining("is not the latest on the ledger");
    assertThat(alerts("gate-policy-approval-superseded")).singleElement()
        .satisfies(a -> assertThat(a.object()).isEqualTo(Digest.of(oldGates).toString()));
    assertThat(home.registry().list()).isEmpty();
    // Approving the old version again makes it the latest: a reviewer's decision, on the ledger.
    home.approvePolicies(Integrity.currentUser());
    assertThat(CreditExample.run(home, pipeline).registration()).isNotNull();
  }

  @Test
  void aLaterApprovalEditedOnTheLedgerDoesNotHideTheRollback() throws Exception {
    // As above, and the ledger entry of the later approval is edited to name the old digest:
    // the ledger no longer verifies, and the run refuses to trust it.
    byte[] oldGates = tightenThenPutBack();
    Digest newer = Digest.of(Files.readString(home.dir().resolve("policies/gates.json"))
        .replace("metrics.auc >= 0.70", "metrics.auc >= 0.80")
        .getBytes(java.nio.charset.StandardCharsets.UTF_8));
    Path segment;
    try (Stream<Path> s = Files.list(home.dir().resolve("ledger/segments"))) {
      segment = s.sorted().toList().getLast();
    }
    String text = Files.readString(segment);
    assertThat(text).contains(newer.toString());
    Files.writeString(segment, text.replace("\"object\":\"" + newer + "\"",
        "\"object\":\"" + Digest.of(oldGates) + "\""));
    assertThatThrownBy(() -> CreditExample.run(home, pipeline))
        .isInstanceOf(CheckFailedException.class)
        .hasMessageContaining("cannot be read");
    assertThat(home.registry().list()).isEmpty();
  }

  @Test
  void aPipelinePutBackWithItsEarlierApprovalIsRefused() throws Exception {
    PipelineDefinition def = PipelineDefinition.load(pipeline);
    home.integrity().approve(pipeline, "pipeline", def.name(), "reviewer");
    Path approval = home.dir().resolve("approvals/pipeline-" + def.name() + ".json");
    byte[] oldDefinition = Files.readAllBytes(pipeline);
    byte[] oldApproval = Files.readAllBytes(approval);
    Files.writeString(pipeline, Files.readString(pipeline) + "\n# reviewed again\n");
    home.integrity().approve(pipeline, "pipeline", def.name(), "reviewer");
    Files.write(pipeline, oldDefinition);
    Files.write(approval, oldApproval);
    assertThatThrownBy(() -> runner().run(PipelineDefinition.load(pipeline),
            Integrity.Invocation.bastionRun()))
        .isInstanceOf(CheckFailedException.class)
        .hasMessageContaining("is not the latest on the ledger");
    assertThat(alerts("pipeline-approval-superseded")).hasSize(1);
    assertThat(home.registry().list()).isEmpty();
  }

  @Test
  void aForgedApprovalIsRefused() throws Exception {
    // An approval from another home (another gate key) put in place of this one's.
    try (Home other = Home.init(tmp.resolve("other"))) {
      Path gates = home.dir().resolve("policies/gates.json");
      Files.copy(gates, other.dir().resolve("policies/gates.json"),
          StandardCopyOption.REPLACE_EXISTING);
      other.approvePolicies(Integrity.currentUser());
      Files.copy(other.dir().resolve("approvals/gate-policy-gates.json"),
          home.dir().resolve("approvals/gate-policy-gates.json"),
          StandardCopyOption.REPLACE_EXISTING);
    }
    assertThatThrownBy(() -> CreditExample.run(home, pipeline))
        .isInstanceOf(CheckFailedException.class)
        .hasMessageContaining("does not verify");
    assertThat(alerts("gate-policy-approval-invalid")).hasSize(1);
  }

  @Test
  void theSchemaTheDefinitionNamesIsPartOfTheApproval() throws Exception {
    PipelineDefinition def = PipelineDefinition.load(pipeline);
    home.integrity().approve(pipeline, "pipeline", def.name(), "reviewer");
    // A wider range slipped into the schema, the definition untouched.
    String schema = Files.readString(def.schema());
    Files.writeString(def.schema(), schema.replace("\"max\": 120", "\"max\": 100000"));
    assertThat(Files.readString(def.schema())).isNotEqualTo(schema);
    assertThatThrownBy(() -> runner().run(def, Integrity.Invocation.bastionRun()))
        .isInstanceOf(CheckFailedException.class)
        .hasMessageContaining(def.schema() + ": differs from its signed version")
        .hasMessageContaining("approve it with 'bastion approve " + def.file() + "'");
    assertThat(alerts("schema-modified")).hasSize(1);
    assertThat(home.registry().list()).isEmpty();
    // Approving the definition again approves the schema with it.
    home.integrity().approve(pipeline, "pipeline", def.name(), "reviewer");
    assertThat(runner().run(def, Integrity.Invocation.bastionRun()).chain()).isNotNull();
  }

  @Test
  void aRunNotStartedThroughBastionRunIsRefusedWithAnAlert() throws Exception {
    PipelineDefinition def = PipelineDefinition.load(pipeline);
    home.integrity().approve(pipeline, "pipeline", def.name(), "reviewer");
    assertThatThrownBy(() -> runner().run(def))
        .isInstanceOf(CheckFailedException.class)
        .hasMessageContaining("only through 'bastion run'");
    assertThat(alerts("unexpected-run")).singleElement()
        .satisfies(a -> assertThat(a.object()).isEqualTo("library"));
    assertThat(home.registry().list()).isEmpty();
  }

  @Test
  void aRunByAnIdentityNotAllowedIsRefusedWithAnAlert() throws Exception {
    PipelineDefinition def = PipelineDefinition.load(pipeline);
    home.integrity().approve(pipeline, "pipeline", def.name(), "reviewer");
    assertThatThrownBy(() ->
            runner().run(def, new Integrity.Invocation("mallory", Integrity.ENTRY_POINT)))
        .isInstanceOf(CheckFailedException.class)
        .hasMessageContaining("'mallory' may not start runs");
    assertThat(alerts("unexpected-run")).singleElement()
        .satisfies(a -> assertThat(a.actor()).isEqualTo("mallory"));
  }

  @Test
  void anUnapprovedChangeToTheRunnersListIsRefused() throws Exception {
    Files.writeString(home.dir().resolve("policies/runners.json"),
        "{\"runners\":[\"mallory\"]}\n");
    assertThatThrownBy(() -> CreditExample.run(home, pipeline))
        .isInstanceOf(CheckFailedException.class)
        .hasMessageContaining("policies/runners.json: differs from its signed version");
    assertThat(alerts("runners-modified")).hasSize(1);
  }

  @Test
  void aStageOutsideARunRaisesAnAlert() throws Exception {
    home.ledger().append(Event.now(EventKind.STAGE_START, "trainer", "train", "x", "ok",
        "run-not-started", Map.of()));
    assertThat(alerts("stage-outside-run")).singleElement()
        .satisfies(a -> assertThat(a.runId()).isEqualTo("run-not-started"));
  }

  @Test
  void storeAccessOutsideAnyRunOrSessionRaisesAnAlertAndInsideOneDoesNot() throws Exception {
    Digest d = home.store().put("data".getBytes(), "test", "trainer", "no-such-run");
    String session = home.integrity().openSession("audit");
    home.store().get(d, "auditor", session);
    home.integrity().closeSession(session);
    home.store().get(d, "auditor", session);
    List<Event> alerts = alerts("access-without-run");
    assertThat(alerts).hasSize(2);
    assertThat(alerts.get(0).runId()).isEqualTo("no-such-run");
    assertThat(alerts.get(0).object()).isEqualTo(d.toString());
    assertThat(alerts.get(1).runId()).isEqualTo(session);
    assertThat(alerts.get(1).actor()).isEqualTo("auditor");
  }
}
