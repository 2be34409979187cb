package dev.bastion.serve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Json;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class OutputPolicyTest {
  private static final Map<String, Double> SCORES = new LinkedHashMap<>(Map.of(
      "a", 0.123456789, "b", 0.654321, "c", 0.222222211));

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
    "label | {\"label\":\"b\"}",
    "top-k:1 | {\"label\":\"b\",\"top\":{\"b\":0.65}}",
    "top-k:2 | {\"label\":\"b\",\"top\":{\"b\":0.65,\"c\":0.22}}",
    "probabilities:0 | {\"label\":\"b\",\"probabilities\":{\"a\":0,\"b\":1,\"c\":0}}",
    "probabilities:3 | {\"label\":\"b\",\"probabilities\":{\"a\":0.123,\"b\":0.654,\"c\":0.222}}",
  })
  void eachPolicyShowsOnlyWhatItSays(String policy, String expected) throws Exception {
    ObjectNode p = Json.object();
    OutputPolicy.parse(policy).write(p, "b", SCORES);
    assertThat(new String(Json.canonical(p), StandardCharsets.UTF_8)).isEqualTo(expected);
    assertThat(OutputPolicy.parse(policy).toString()).isEqualTo(policy);
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "labels", "top-k", "top-k:0", "top-k:101", "probabilities:7",
      "probabilities:-1", "probabilities:x", "label:1", "top-k:1:2"})
  void anythingElseIsRefused(String policy) {
    assertThatThrownBy(() -> OutputPolicy.parse(policy))
        .isInstanceOf(BadInputException.class).hasMessageStartingWith("output policy '");
  }
}
