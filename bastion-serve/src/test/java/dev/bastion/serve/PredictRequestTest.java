package dev.bastion.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bastion.core.BadInputException;
import dev.bastion.train.FeatureSpec;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class PredictRequestTest {
  static final FeatureSpec SPEC =
      new FeatureSpec(
          "class",
          "bad",
          Map.of("age", new double[] {35, 10}),
          Map.of("job", List.of("skilled", "unskilled"), "sex", List.of("tok_a", "tok_b")),
          List.of("sex"));

  static String tokenize(String column, String value) {
    return value.equals("f") ? "tok_a" : value.equals("m") ? "tok_b" : "tok_unknown";
  }

  static List<Map<String, String>> parse(String body) throws BadInputException {
    return PredictRequest.parse(
        body.getBytes(StandardCharsets.UTF_8), SPEC, 3, PredictRequestTest::tokenize);
  }

  @Test
  void aValidRequestTokenisesProtectedFieldsOnly() throws Exception {
    var out = parse("{\"instances\":[{\"age\":41,\"job\":\"skilled\",\"sex\":\"f\"},"
        + "{\"age\":22.5,\"job\":\"unskilled\",\"sex\":\"m\"}]}");
    assertThat(out).hasSize(2);
    assertThat(out.get(0)).containsEntry("sex", "tok_a").containsEntry("age", "41")
        .containsEntry("job", "skilled");
    assertThat(out.get(1)).containsEntry("sex", "tok_b").containsEntry("age", "22.5");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "null",
        "[]",
        "{}",
        "{\"instances\":{}}",
        "{\"instances\":[]}",
        "{\"instances\":[1]}",
        "{\"instances\":[{},{},{},{}]}",
        "{\"instances\":[{\"age\":41,\"job\":\"skilled\"}]}",
        "{\"instances\":[{\"age\":\"x\",\"job\":\"skilled\",\"sex\":\"f\"}]}",
        "{\"instances\":[{\"age\":NaN,\"job\":\"skilled\",\"sex\":\"f\"}]}",
        "{\"instances\":[{\"age\":1e999,\"job\":\"skilled\",\"sex\":\"f\"}]}",
        "{\"instances\":[{\"age\":41,\"job\":\"pilot\",\"sex\":\"f\"}]}",
        "{\"instances\":[{\"age\":41,\"job\":\"skilled\",\"sex\":\"x\"}]}",
        "{\"instances\":[{\"age\":41,\"job\":\"skilled\",\"sex\":\"f\",\"extra\":1}]}",
        "{\"instances\":[{\"age\":[41],\"job\":\"skilled\",\"sex\":\"f\"}]}",
        "{\"instances\":[{\"age\":41,\"job\":true,\"sex\":\"f\"}]}",
        "{\"instances\":[{\"age\":41,\"age\":42,\"job\":\"skilled\",\"sex\":\"f\"}]}",
        "{\"instances\":[{\"age\":41,\"job\":\"skilled\",\"sex\":\"f\"}]} trailing",
      })
  void malformedRequestsAreBadInput(String body) {
    assertThatThrownBy(() -> parse(body)).isInstanceOf(BadInputException.class);
  }

  /** The label is the model's answer: sent in an instance, it is refused like any other field. */
  @Test
  void theLabelIsNotAnInput() {
    assertThatThrownBy(() -> parse("{\"instances\":[{\"age\":41,\"job\":\"skilled\","
        + "\"sex\":\"f\",\"class\":\"good\"}]}"))
        .isInstanceOf(BadInputException.class)
        .hasMessage("instances[0]: field 'class' is the model's label, not a model input");
  }

  @Test
  void anUnknownProtectedValueIsNotEchoed() {
    assertThatThrownBy(() -> parse("{\"instances\":[{\"age\":41,\"job\":\"skilled\",\"sex\":\"x\"}]}"))
        .isInstanceOf(BadInputException.class)
        .hasMessageNotContaining("tok_unknown")
        .hasMessageContaining("'sex'");
  }

  static Stream<Arguments> mutations() {
    return IntStream.range(0, 40).mapToObj(seed -> Arguments.of(seed));
  }

  /** Seeded byte-level mutations of a valid request: parsed, or refused as bad input; nothing else. */
  @ParameterizedTest
  @MethodSource("mutations")
  void mutatedRequestsParseOrAreRefusedCleanly(int seed) {
    byte[] valid = "{\"instances\":[{\"age\":41,\"job\":\"skilled\",\"sex\":\"f\"}]}"
        .getBytes(StandardCharsets.UTF_8);
    Random rnd = new Random(seed);
    List<String> unexpected = new ArrayList<>();
    for (int round = 0; round < 500; round++) {
      byte[] b = valid.clone();
      int edits = 1 + rnd.nextInt(4);
      for (int e = 0; e < edits; e++) {
        b[rnd.nextInt(b.length)] = (byte) rnd.nextInt(256);
      }
      try {
        PredictRequest.parse(b, SPEC, 3, PredictRequestTest::tokenize);
      } catch (BadInputException expected) {
        // refused with a message: fine
      } catch (RuntimeException ex) {
        unexpected.add(new String(b, StandardCharsets.ISO_8859_1) + " -> " + ex);
      }
    }
    assertThat(unexpected).isEmpty();
  }
}
