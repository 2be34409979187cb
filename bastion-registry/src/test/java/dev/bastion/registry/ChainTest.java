package dev.bastion.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.Digest;
import dev.bastion.core.VerificationException;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Both kinds of chain survive their JSON form, and each is read as its own kind. */
class ChainTest {
  private static Digest d(Random r) {
    byte[] b = new byte[16];
    r.nextBytes(b);
    return Digest.of(b);
  }

  @ParameterizedTest(name = "seed {0}")
  @ValueSource(longs = {1, 2, 3, 4, 5})
  void eachKindReadsBackAsItself(long seed) throws Exception {
    Random r = new Random(seed);
    ModelChain trained = new ModelChain(d(r), d(r), d(r), d(r), d(r), d(r), d(r), d(r), d(r));
    ImportChain imported = new ImportChain(d(r), d(r), d(r), d(r), d(r), d(r), d(r));

    assertThat(Chain.fromJson(trained.toJson())).isEqualTo(trained);
    assertThat(Chain.fromJson(imported.toJson())).isEqualTo(imported);
    assertThat(trained.data()).isEqualTo(trained.snapshot());
    assertThat(imported.data()).isEqualTo(imported.reference());
  }

  @ParameterizedTest(name = "without {0}")
  @ValueSource(strings = {"source", "reference", "model", "report", "import", "evaluate",
      "gate_register"})
  void aMissingLinkIsRefused(String field) {
    Random r = new Random(7);
    ObjectNode o = (ObjectNode) new ImportChain(d(r), d(r), d(r), d(r), d(r), d(r), d(r))
        .toJson();
    o.remove(field);
    assertThatThrownBy(() -> Chain.fromJson(o)).isInstanceOf(VerificationException.class)
        .hasMessageContaining("'" + field + "'");
  }

  @ParameterizedTest(name = "kind {0}")
  @ValueSource(strings = {"imported", "", "IMPORT"})
  void anUnknownKindIsRefused(String kind) {
    Random r = new Random(8);
    ObjectNode o = (ObjectNode) new ImportChain(d(r), d(r), d(r), d(r), d(r), d(r), d(r))
        .toJson();
    o.put("kind", kind);
    assertThatThrownBy(() -> Chain.fromJson(o)).isInstanceOf(VerificationException.class)
        .hasMessageContaining("unknown kind");
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"sha256:zz", "md5:00"})
  void aLinkThatIsNotADigestIsRefused(String value) {
    Random r = new Random(9);
    ObjectNode o = (ObjectNode) new ImportChain(d(r), d(r), d(r), d(r), d(r), d(r), d(r))
        .toJson();
    o.put("model", value);
    assertThatThrownBy(() -> Chain.fromJson(o)).isInstanceOf(VerificationException.class);
  }
}
