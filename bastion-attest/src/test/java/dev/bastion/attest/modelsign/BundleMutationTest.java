package dev.bastion.attest.modelsign;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.VerificationException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Seeded random mutations of bundles, and of signed statements: verification either holds or
 * throws {@link VerificationException} or {@link BadInputException}, never anything else.
 */
class BundleMutationTest {
  private static final long SEED = 0xB0_0D1EL;
  private static final int ROUNDS = 1000;
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  @TempDir static Path tmp;
  private static Path model;
  private static KeyPair keyPair;
  private static SigningKey key;

  @BeforeAll
  static void setUp() throws Exception {
    model = OmsFixtures.copyVector("v1.1.0-elliptic-key", tmp);
    keyPair = OmsFixtures.ecKeyPair("secp256r1");
    key = SigningKey.fromPem(OmsFixtures.privatePem(keyPair.getPrivate()), "k");
  }

  /** What verifying {@code bundle} did: null if it held, else the exception. */
  private static Exception outcome(byte[] bundle, TrustRoot trust) {
    try {
      ModelVerifier.verify(model, bundle, trust, ModelVerifier.Options.defaults()
          .withSignatureFile(model.resolve("model.sig")));
      return null;
    } catch (Exception e) {
      return e;
    }
  }

  private static void record(List<String> problems, String what, Exception e) {
    if (e != null && !(e instanceof VerificationException) && !(e instanceof BadInputException)) {
      problems.add(what + ": " + e);
    }
  }

  @Test
  void byteMutationsOfReferenceAndBastionBundles() throws Exception {
    byte[] bastion = ModelSigner.sign(model, key, ModelSigner.Options.files()).toJson();
    Map<String, byte[]> bundles = Map.of(
        "v1.1.0-elliptic-key", OmsFixtures.read("v1.1.0-elliptic-key/model.sig"),
        "v1.1.0-certificate", OmsFixtures.read("v1.1.0-certificate/model.sig"),
        "v1.1.0-sigstore", OmsFixtures.read("v1.1.0-sigstore/model.sig"),
        "bastion", bastion);
    List<TrustRoot> trusts =
        List.of(OmsFixtures.vectorKey(), OmsFixtures.vectorCa(), new TrustRoot.Key(keyPair.getPublic()));
    Random r = new Random(SEED);
    List<String> problems = new ArrayList<>();
    int verified = 0;
    for (Map.Entry<String, byte[]> e : bundles.entrySet()) {
      for (int i = 0; i < ROUNDS; i++) {
        byte[] m = mutateBytes(r, e.getValue());
        TrustRoot t = trusts.get(r.nextInt(trusts.size()));
        Exception x = outcome(m, t);
        if (x == null) {
          verified++;
        }
        record(problems, e.getKey() + " round " + i, x);
      }
    }
    assertThat(problems).isEmpty();
    // Most mutations break the bundle; the few that hold changed nothing that is signed.
    assertThat(verified).isLessThan(bundles.size() * ROUNDS / 4);
  }

  @Test
  void treeMutationsOfSignedStatements() throws Exception {
    // The statement parser sees only signed payloads, so sign each mutated statement for real.
    Manifest manifest = ModelHasher.manifest(
        ModelFiles.list(model, false, IgnoreRules.forSigning(java.util.Set.of("ignore-me", "model.sig"))),
        Serialization.files(false, List.of("ignore-me", "model.sig")));
    JsonNode statement = JSON.readTree(manifest.statementJson());
    TrustRoot trust = new TrustRoot.Key(keyPair.getPublic());
    Random r = new Random(SEED + 1);
    List<String> problems = new ArrayList<>();
    for (int i = 0; i < ROUNDS; i++) {
      JsonNode copy = statement.deepCopy();
      int edits = 1 + r.nextInt(3);
      for (int k = 0; k < edits; k++) {
        copy = mutateTree(r, copy);
      }
      byte[] payload = JSON.writeValueAsBytes(copy);
      Bundle b = new Bundle(Bundle.MEDIA_TYPE,
          new Bundle.PublicKeyRef(java.util.Optional.empty(), java.util.Optional.empty()),
          Bundle.IN_TOTO, payload, List.of(new Bundle.Blob(key.sign(Pae.of(Bundle.IN_TOTO, payload)))));
      record(problems, "statement round " + i + " " + new String(payload, StandardCharsets.UTF_8),
          outcome(b.toJson(), trust));
    }
    assertThat(problems).isEmpty();
  }

  @Test
  void treeMutationsOfBundles() throws Exception {
    JsonNode bundle = JSON.readTree(OmsFixtures.read("v1.1.0-certificate/model.sig"));
    Random r = new Random(SEED + 2);
    List<String> problems = new ArrayList<>();
    for (int i = 0; i < ROUNDS; i++) {
      JsonNode m = mutateTree(r, bundle.deepCopy());
      record(problems, "bundle round " + i, outcome(JSON.writeValueAsBytes(m), OmsFixtures.vectorCa()));
    }
    assertThat(problems).isEmpty();
  }

  @Test
  void deeplyNestedAndHugeInputsAreRefusedWithinTheLimits() throws Exception {
    String deep = "[".repeat(100_000) + "]".repeat(100_000);
    assertThat(outcome(deep.getBytes(StandardCharsets.US_ASCII), OmsFixtures.vectorKey()))
        .isInstanceOf(BadInputException.class);
    byte[] huge = new byte[Bundle.MAX_BYTES + 1];
    Arrays.fill(huge, (byte) ' ');
    assertThat(outcome(huge, OmsFixtures.vectorKey()))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("larger than");
  }

  private static byte[] mutateBytes(Random r, byte[] in) {
    byte[] b = in.clone();
    switch (r.nextInt(6)) {
      case 0 -> b[r.nextInt(b.length)] ^= (byte) (1 << r.nextInt(8));
      case 1 -> b[r.nextInt(b.length)] = (byte) r.nextInt(256);
      case 2 -> {
        int from = r.nextInt(b.length);
        int len = Math.min(b.length - from, 1 + r.nextInt(64));
        byte[] out = new byte[b.length - len];
        System.arraycopy(b, 0, out, 0, from);
        System.arraycopy(b, from + len, out, from, b.length - from - len);
        b = out;
      }
      case 3 -> {
        int at = r.nextInt(b.length);
        byte[] ins = new byte[1 + r.nextInt(16)];
        r.nextBytes(ins);
        byte[] out = new byte[b.length + ins.length];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(ins, 0, out, at, ins.length);
        System.arraycopy(b, at, out, at + ins.length, b.length - at);
        b = out;
      }
      case 4 -> b = Arrays.copyOf(b, r.nextInt(b.length));
      default -> {
        // Swap two base64 characters: keeps the JSON valid, changes decoded bytes.
        int i = r.nextInt(b.length);
        int j = r.nextInt(b.length);
        byte t = b[i];
        b[i] = b[j];
        b[j] = t;
      }
    }
    return b;
  }

  private static JsonNode randomValue(Random r) {
    return switch (r.nextInt(10)) {
      case 0 -> F.nullNode();
      case 1 -> F.booleanNode(r.nextBoolean());
      case 2 -> F.numberNode(r.nextInt(20) - 5);
      case 3 -> F.numberNode(r.nextDouble() * 1e6);
      case 4 -> F.textNode("");
      case 5 -> F.textNode("sha256");
      case 6 -> F.textNode("../" + r.nextInt(9));
      case 7 -> F.arrayNode();
      case 8 -> F.objectNode();
      default -> F.textNode("x".repeat(r.nextInt(100)));
    };
  }

  /** Replaces, removes or adds one node somewhere in the tree. */
  private static JsonNode mutateTree(Random r, JsonNode root) {
    List<JsonNode> containers = new ArrayList<>();
    collect(root, containers);
    if (containers.isEmpty()) {
      return randomValue(r);
    }
    JsonNode c = containers.get(r.nextInt(containers.size()));
    if (c instanceof ObjectNode o) {
      List<String> names = new ArrayList<>();
      o.fieldNames().forEachRemaining(names::add);
      int op = r.nextInt(3);
      if (op == 0 || names.isEmpty()) {
        o.set(names.isEmpty() || r.nextBoolean() ? "extra" + r.nextInt(3)
            : names.get(r.nextInt(names.size())), randomValue(r));
      } else if (op == 1) {
        o.remove(names.get(r.nextInt(names.size())));
      } else {
        o.set(names.get(r.nextInt(names.size())), randomValue(r));
      }
    } else if (c instanceof ArrayNode a) {
      int op = r.nextInt(3);
      if (op == 0 || a.isEmpty()) {
        a.add(randomValue(r));
      } else if (op == 1) {
        a.remove(r.nextInt(a.size()));
      } else {
        a.set(r.nextInt(a.size()), randomValue(r));
      }
    }
    return root;
  }

  private static void collect(JsonNode n, List<JsonNode> out) {
    if (n.isContainerNode()) {
      out.add(n);
      n.forEach(child -> collect(child, out));
    }
  }
}
