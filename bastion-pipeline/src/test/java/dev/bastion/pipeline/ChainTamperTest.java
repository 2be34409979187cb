package dev.bastion.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bastion.core.Digest;
import dev.bastion.core.VerificationException;
import dev.bastion.registry.ModelChain;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The consumers refuse what lacks a passing, signed decision for exactly their input: the registry
 * refuses every chain with one wrong link, and a stage refuses a decision about something else.
 */
class ChainTamperTest {
  @TempDir static Path tmp;
  static Home home;
  static Runner.Result result;

  @BeforeAll
  static void runOnce() throws Exception {
    Path pipeline = CreditExample.copyTo(tmp.resolve("credit"));
    home = Home.init(tmp.resolve("home"));
    result = CreditExample.run(home, pipeline);
  }

  @AfterAll
  static void close() throws IOException {
    home.close();
  }

  static Stream<Arguments> brokenChains() {
    return Stream.of(
        broken("snapshot replaced by the model", c -> with(c, "snapshot", c.model())),
        broken("model replaced by the snapshot", c -> with(c, "model", c.snapshot())),
        broken("report replaced by the model", c -> with(c, "report", c.model())),
        broken("ingest provenance replaced by train's", c -> with(c, "ingest", c.train())),
        broken("train gate replaced by register gate", c -> with(c, "gateTrain", c.gateRegister())),
        broken("train provenance replaced by evaluate's", c -> with(c, "train", c.evaluate())),
        broken("evaluate gate replaced by train gate", c -> with(c, "gateEvaluate", c.gateTrain())),
        broken("evaluate provenance replaced by ingest's", c -> with(c, "evaluate", c.ingest())),
        broken("register gate replaced by evaluate gate",
            c -> with(c, "gateRegister", c.gateEvaluate())),
        broken("a link that is not in the store",
            c -> with(c, "gateRegister", Digest.of(new byte[] {1, 2, 3}))),
        broken("a link that is not an attestation", c -> with(c, "gateTrain", c.snapshot())));
  }

  static Arguments broken(String name, UnaryOperator<ModelChain> f) {
    return Arguments.of(name, f);
  }

  static ModelChain with(ModelChain c, String field, Digest d) {
    Map<String, Digest> m = new java.util.HashMap<>();
    m.put("snapshot", c.snapshot());
    m.put("model", c.model());
    m.put("report", c.report());
    m.put("ingest", c.ingest());
    m.put("gateTrain", c.gateTrain());
    m.put("train", c.train());
    m.put("gateEvaluate", c.gateEvaluate());
    m.put("evaluate", c.evaluate());
    m.put("gateRegister", c.gateRegister());
    m.put(field, d);
    return new ModelChain(m.get("snapshot"), m.get("model"), m.get("report"), m.get("ingest"),
        m.get("gateTrain"), m.get("train"), m.get("gateEvaluate"), m.get("evaluate"),
        m.get("gateRegister"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("brokenChains")
  void theRegistryRefusesAChainWithOneWrongLink(String name, UnaryOperator<ModelChain> f)
      throws Exception {
    int before = home.registry().list().size();
    ModelChain chain = f.apply(result.chain());
    assertThatThrownBy(
            () -> home.registry().register("tampered", chain, home.chainVerifier(),
                home.keyring().signer("registry"), "test"))
        .as(name)
        .isInstanceOf(VerificationException.class);
    assertThat(home.registry().list()).hasSize(before);
  }

  @Test
  void theIntactChainRegisters() throws Exception {
    var reg = home.registry().register("intact", result.chain(), home.chainVerifier(),
        home.keyring().signer("registry"), "test");
    assertThat(reg.version()).isEqualTo(1);
    assertThat(home.registry().chainOf(reg, home.trust(), "test", "test"))
        .isEqualTo(result.chain());
  }

  @Test
  void aStageRefusesADecisionAboutOtherInputs() throws Exception {
    GateEnforcer enforcer = new GateEnforcer(home.store(), home.trust());
    ModelChain c = result.chain();
    // The right decision for the right input passes.
    enforcer.requirePass(c.gateTrain(), "train", Map.of("snapshot", c.snapshot()), "trainer", "t");
    // The same decision offered for another snapshot, for another gate, or a non-decision: refused.
    assertThatThrownBy(() -> enforcer.requirePass(c.gateTrain(), "train",
        Map.of("snapshot", c.model()), "trainer", "t"))
        .isInstanceOf(VerificationException.class).hasMessageContaining("refuses its input");
    assertThatThrownBy(() -> enforcer.requirePass(c.gateTrain(), "evaluate",
        Map.of("snapshot", c.snapshot()), "trainer", "t"))
        .isInstanceOf(VerificationException.class);
    assertThatThrownBy(() -> enforcer.requirePass(c.train(), "train",
        Map.of("snapshot", c.snapshot()), "trainer", "t"))
        .isInstanceOf(VerificationException.class);
  }

  @Test
  void aDecisionSignedByAnotherComponentIsRefused() throws Exception {
    // A perfectly formed passing decision, but signed by the trainer instead of the gate.
    ModelChain c = result.chain();
    var decision = new dev.bastion.policy.GateDecision("train",
        dev.bastion.policy.GateDecision.Outcome.PASS, "true", Digest.of(new byte[0]),
        Map.of("snapshot", c.snapshot()), dev.bastion.core.Json.object(), "forged", "t",
        java.time.Instant.now());
    var env = new dev.bastion.attest.Statement(Map.of("snapshot", c.snapshot()),
        dev.bastion.policy.GateDecision.PREDICATE_TYPE, decision.toPredicate())
        .sign(home.keyring().signer("trainer"));
    Digest forged = home.store().put(env.toJson(), "attestation", "test", "t");
    GateEnforcer enforcer = new GateEnforcer(home.store(), home.trust());
    assertThatThrownBy(() -> enforcer.requirePass(forged, "train",
        Map.of("snapshot", c.snapshot()), "trainer", "t"))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("only 'gate' may sign");
    assertThatThrownBy(() -> home.registry().register("forged", with(c, "gateTrain", forged),
        home.chainVerifier(), home.keyring().signer("registry"), "t"))
        .isInstanceOf(VerificationException.class);
  }

  @Test
  void aProvenanceNamingAnotherBuilderThanItsSignerIsRefused() throws Exception {
    ModelChain c = result.chain();
    var predicate = dev.bastion.attest.Provenance.stage("train", "t")
        .builder("ingest")
        .input("snapshot", c.snapshot())
        .toPredicate();
    var env = dev.bastion.attest.Statement.of("model", c.model(),
        dev.bastion.attest.Provenance.PREDICATE_TYPE, predicate)
        .sign(home.keyring().signer("trainer"));
    Digest forged = home.store().put(env.toJson(), "attestation", "test", "t");
    assertThatThrownBy(() -> home.registry().register("builder", with(c, "train", forged),
        home.chainVerifier(), home.keyring().signer("registry"), "t"))
        .isInstanceOf(VerificationException.class)
        .hasMessageContaining("names builder 'ingest', but 'trainer' signed it");
  }
}
