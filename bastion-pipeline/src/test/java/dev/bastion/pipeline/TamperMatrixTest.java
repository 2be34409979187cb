package dev.bastion.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import dev.bastion.attest.Envelope;
import dev.bastion.core.Digest;
import dev.bastion.core.VerificationException;
import dev.bastion.registry.ModelChain;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * For each kind of artifact in a model's chain (snapshot, model, attestation, gate decision): flip
 * a byte of the stored blob, change its content under the same name, flip a byte of an envelope's
 * payload or signature, swap two envelopes' signatures. Every case fails verification, and the
 * message names the artifact.
 */
class TamperMatrixTest {
  @TempDir static Path tmp;
  static Home home;
  static ModelChain chain;

  @BeforeAll
  static void runOnce() throws Exception {
    Path pipeline = CreditExample.copyTo(tmp.resolve("credit"));
    home = Home.init(tmp.resolve("home"));
    chain = CreditExample.run(home, pipeline).chain();
  }

  @AfterAll
  static void close() throws IOException {
    home.close();
  }

  /** The kinds of artifact, and how to pick one from the chain. */
  static final List<Arguments> KINDS =
      List.of(
          Arguments.of("snapshot", (Function<ModelChain, Digest>) ModelChain::snapshot),
          Arguments.of("model", (Function<ModelChain, Digest>) ModelChain::model),
          Arguments.of("evaluation report", (Function<ModelChain, Digest>) ModelChain::report),
          Arguments.of("ingest attestation", (Function<ModelChain, Digest>) ModelChain::ingest),
          Arguments.of("train attestation", (Function<ModelChain, Digest>) ModelChain::train),
          Arguments.of("gate decision", (Function<ModelChain, Digest>) ModelChain::gateRegister));

  static Stream<Arguments> kinds() {
    return KINDS.stream();
  }

  static Stream<Arguments> envelopes() {
    return KINDS.stream().filter(a -> a.get()[0].toString().contains("attestation")
        || a.get()[0].toString().contains("decision"));
  }

  /** Verifies the chain as the gateway would, and returns the failure. */
  private static VerificationException failure(ModelChain c) throws IOException {
    try {
      home.chainVerifier().verifyAll(c, dev.bastion.registry.ChainVerifier.Contents.ALL, "test",
          "tamper");
    } catch (VerificationException e) {
      return e;
    } catch (dev.bastion.core.BastionException e) {
      throw new AssertionError(e);
    }
    throw new AssertionError("the tampered chain verified");
  }

  /** Restores every blob after a case, so cases do not see each other. */
  private static void withBlob(Digest d, ThrowingRunnable tamper, ThrowingRunnable check)
      throws Exception {
    Path blob = home.store().pathOf(d);
    byte[] original = Files.readAllBytes(blob);
    try {
      tamper.run();
      check.run();
    } finally {
      Files.write(blob, original);
    }
  }

  interface ThrowingRunnable {
    void run() throws Exception;
  }

  @ParameterizedTest(name = "{0}: a flipped byte of the encrypted blob")
  @MethodSource("kinds")
  void aFlippedCiphertextByteIsRefusedNamingTheArtifact(
      String kind, Function<ModelChain, Digest> pick) throws Exception {
    Digest d = pick.apply(chain);
    Path blob = home.store().pathOf(d);
    for (long at : new long[] {0, Files.size(blob) / 2, Files.size(blob) - 1}) {
      withBlob(d, () -> flip(blob, at), () -> assertFailsNaming(chain, d, kind));
    }
  }

  @ParameterizedTest(name = "{0}: other content under the same name")
  @MethodSource("kinds")
  void otherContentUnderTheSameNameIsRefused(String kind, Function<ModelChain, Digest> pick)
      throws Exception {
    Digest d = pick.apply(chain);
    byte[] plain = home.store().get(d, "test", "tamper");
    plain[plain.length / 2] ^= 0x01;
    // Someone holding the key re-encrypts changed content under the old name.
    byte[] ct = home.keyring().artifactAead().encrypt(plain,
        ("bastion:artifact:" + d).getBytes(StandardCharsets.UTF_8));
    withBlob(d, () -> Files.write(home.store().pathOf(d), ct),
        () -> assertFailsNaming(chain, d, kind));
  }

  @ParameterizedTest(name = "{0}: a flipped byte of the payload or of the signature")
  @MethodSource("envelopes")
  void aChangedEnvelopeDoesNotVerify(String kind, Function<ModelChain, Digest> pick)
      throws Exception {
    Digest d = pick.apply(chain);
    Envelope env = Envelope.parse(home.store().get(d, "test", "tamper"), kind);
    List<Envelope> changed = new ArrayList<>();
    byte[] payload = env.payload();
    payload[payload.length / 3] ^= 0x01;
    changed.add(new Envelope(env.payloadType(), payload, env.signatures()));
    byte[] sig = env.signatures().get(0).sig();
    sig[sig.length - 3] ^= 0x01;
    changed.add(new Envelope(env.payloadType(), env.payload(),
        List.of(new Envelope.Sig(env.signatures().get(0).keyId(), sig))));
    for (Envelope e : changed) {
      // Stored under its own (new) name, with the chain pointing at it.
      Digest forged = home.store().put(e.toJson(), "attestation", "test", "tamper");
      assertFailsNaming(replace(chain, d, forged), forged, kind);
    }
  }

  @ParameterizedTest(name = "{0}: another envelope's signature")
  @MethodSource("envelopes")
  void aSwappedSignatureDoesNotVerify(String kind, Function<ModelChain, Digest> pick)
      throws Exception {
    Digest d = pick.apply(chain);
    Digest other = d.equals(chain.evaluate()) ? chain.train() : chain.evaluate();
    Envelope env = Envelope.parse(home.store().get(d, "test", "tamper"), kind);
    Envelope donor = Envelope.parse(home.store().get(other, "test", "tamper"), "donor");
    Envelope swapped = new Envelope(env.payloadType(), env.payload(), donor.signatures());
    Digest forged = home.store().put(swapped.toJson(), "attestation", "test", "tamper");
    assertFailsNaming(replace(chain, d, forged), forged, kind);
  }

  private static void assertFailsNaming(ModelChain c, Digest d, String kind) throws IOException {
    assertThat(failure(c).getMessage()).as(kind).contains(d.toString());
  }

  private static ModelChain replace(ModelChain c, Digest from, Digest to) {
    Function<Digest, Digest> r = x -> x.equals(from) ? to : x;
    return new ModelChain(r.apply(c.snapshot()), r.apply(c.model()), r.apply(c.report()),
        r.apply(c.ingest()), r.apply(c.gateTrain()), r.apply(c.train()),
        r.apply(c.gateEvaluate()), r.apply(c.evaluate()), r.apply(c.gateRegister()));
  }

  private static void flip(Path file, long offset) throws IOException {
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(offset);
      int b = f.read();
      f.seek(offset);
      f.write(b ^ 0x01);
    }
  }
}
