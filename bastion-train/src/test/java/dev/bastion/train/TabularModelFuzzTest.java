package dev.bastion.train;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.Json;
import java.util.Base64;

/**
 * Fuzzes the model reader: a stored model, whole or just its Tribuo protobuf, either loads or is
 * refused with a BadInputException. Plain {@code mvn test} replays the inputs under
 * {@code src/test/resources/dev/bastion/train/TabularModelFuzzTestInputs/<method>/}; run with
 * {@code JAZZER_FUZZ=1} and one method selected to fuzz for real.
 */
class TabularModelFuzzTest {
  /** A small stored model: a real spec, the Tribuo part replaced by the fuzzer's bytes. */
  private static final String SPEC =
      """
      {"label":"y","positive_class":"yes","numeric":{"a":[0,1]},
       "categorical":{"c":["p","q"]},"protected":[]}
      """;

  @FuzzTest(maxDuration = "2m")
  void storedModel(byte[] bytes) {
    ModelFuzzing.assertLoadsOrRefuses(bytes);
  }

  @FuzzTest(maxDuration = "2m")
  void tribuoProto(byte[] proto) throws Exception {
    ObjectNode o = Json.object();
    o.put("format", TabularModel.FORMAT);
    o.set("spec", Json.parse(SPEC.getBytes(java.nio.charset.StandardCharsets.UTF_8), "spec"));
    o.put("tribuo", Base64.getEncoder().encodeToString(proto));
    ModelFuzzing.assertLoadsOrRefuses(Json.canonical(o));
  }
}
