package dev.bastion.train;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.tribuo.classification.Label;
import org.tribuo.protos.core.ModelProto;
import org.tribuo.protos.core.OutputProto;

/** Crashes the model fuzzers found, each kept under its name (resources/.../crashes/). */
class TabularModelRegressionTest {

  /**
   * Jazzer crash d6046a4c: a Tribuo proto whose class_name is a Tribuo type that is not a model
   * (org.tribuo.CategoricalIDInfo). Model.deserialize casts the result unchecked, and the
   * ClassCastException escapes TabularModel.fromBytes, which catches only
   * InvalidProtocolBufferException, IllegalArgumentException and IllegalStateException.
   */
  @Test
  void crashD6046a4cProtoThatIsNotAModelIsBadInput() throws IOException {
    byte[] bytes = stored(resource("crashes/crash-d6046a4c-proto-not-a-model.pb"));

    assertThatThrownBy(() -> TabularModel.fromBytes(bytes, "model.json"))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("model.json: ");
  }

  /** The smallest form of the crash above: a Label's proto presented as the model. */
  @Test
  void aLabelPresentedAsTheModelIsBadInput() {
    OutputProto label = new Label("bad").serialize();
    byte[] proto =
        ModelProto.newBuilder()
            .setVersion(label.getVersion())
            .setClassName(label.getClassName())
            .setSerializedData(label.getSerializedData())
            .build()
            .toByteArray();
    byte[] bytes = stored(proto);

    assertThatThrownBy(() -> TabularModel.fromBytes(bytes, "model.json"))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("model.json: ");
  }

  /**
   * Jazzer crash d1e47e6d: a feature spec number "2789.73...E999...". Json.parse (bastion-core)
   * reads floats as BigDecimal and Jackson's unchecked NumberFormatException escapes.
   */
  @Test
  void crashD1e47e6dHugeExponentIsBadInput() throws IOException {
    byte[] crash = resource("crashes/crash-d1e47e6d-model-huge-exponent.json");

    assertThatThrownBy(() -> TabularModel.fromBytes(crash, "model.json"))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("model.json: ");
  }

  private static byte[] stored(byte[] proto) {
    ObjectNode o = Json.object();
    o.put("format", TabularModel.FORMAT);
    try {
      o.set("spec", Json.parse(
          "{\"label\":\"y\",\"positive_class\":\"yes\",\"numeric\":{},\"categorical\":{},\"protected\":[]}"
              .getBytes(StandardCharsets.UTF_8), "spec"));
    } catch (BadInputException e) {
      throw new IllegalStateException(e);
    }
    o.put("tribuo", Base64.getEncoder().encodeToString(proto));
    return Json.canonical(o);
  }

  static byte[] resource(String name) throws IOException {
    try (InputStream in = TabularModelRegressionTest.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IOException("no test resource " + name);
      }
      return in.readAllBytes();
    }
  }
}
