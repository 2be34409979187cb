package dev.bastion.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Json;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class TrainParamsTest {
  static JsonNode json(String text) throws BadInputException {
    return Json.parse(text.getBytes(StandardCharsets.UTF_8), "patch");
  }

  static TrainParams parse(String text) throws BadInputException {
    return TrainParams.fromJson(json(text), "pipeline.yaml");
  }

  @Test
  void onlyThePositiveClassIsRequired() throws BadInputException {
    assertThat(parse("{\"positive_class\": \"bad\"}"))
        .isEqualTo(new TrainParams("logistic-regression", 50, 0.1, 42, 0.3, "bad"));
  }

  @Test
  void readsEveryField() throws BadInputException {
    TrainParams p =
        parse(
            """
            {"algorithm": "logistic-regression", "epochs": 7, "learning_rate": 0.25,
             "seed": -9, "holdout": 0.2, "positive_class": "yes"}
            """);

    assertThat(p).isEqualTo(new TrainParams(TrainParams.LOGISTIC_REGRESSION, 7, 0.25, -9, 0.2, "yes"));
  }

  @Test
  void toJsonIsReadBackAsTheSameParameters() throws BadInputException {
    TrainParams p = new TrainParams("logistic-regression", 3, 0.5, 123456789012L, 0.25, "bad");

    assertThat(TrainParams.fromJson(p.toJson(), "x")).isEqualTo(p);
    assertThat(p.toJson().get("learning_rate").asDouble()).isEqualTo(0.5);
    assertThat(p.toJson().properties()).hasSize(6);
  }

  static Stream<Arguments> invalid() {
    String pc = "\"positive_class\": \"bad\"";
    return Stream.of(
        Arguments.of("{\"algorithm\": \"random-forest\", " + pc + "}",
            "pipeline.yaml: train.algorithm 'random-forest' is not supported; use logistic-regression"),
        Arguments.of("{\"algorithm\": \"\", " + pc + "}",
            "pipeline.yaml: train.algorithm '' is not supported; use logistic-regression"),
        Arguments.of("{\"epochs\": 0, " + pc + "}", "pipeline.yaml: train.epochs must be a positive integer"),
        Arguments.of("{\"epochs\": -3, " + pc + "}", "pipeline.yaml: train.epochs must be a positive integer"),
        Arguments.of("{\"epochs\": 2.5, " + pc + "}", "pipeline.yaml: train.epochs must be a positive integer"),
        Arguments.of("{\"epochs\": 1.0, " + pc + "}", "pipeline.yaml: train.epochs must be a positive integer"),
        Arguments.of("{\"epochs\": \"5\", " + pc + "}", "pipeline.yaml: train.epochs must be a positive integer"),
        Arguments.of("{\"epochs\": true, " + pc + "}", "pipeline.yaml: train.epochs must be a positive integer"),
        Arguments.of("{\"epochs\": null, " + pc + "}", "pipeline.yaml: train.epochs must be a positive integer"),
        Arguments.of("{\"epochs\": 3000000000, " + pc + "}", "pipeline.yaml: train.epochs must be a positive integer"),
        Arguments.of("{\"epochs\": 99999999999999999999999, " + pc + "}",
            "pipeline.yaml: train.epochs must be a positive integer"),
        Arguments.of("{\"learning_rate\": 0, " + pc + "}", "pipeline.yaml: train.learning_rate must be a positive number"),
        Arguments.of("{\"learning_rate\": -0.1, " + pc + "}", "pipeline.yaml: train.learning_rate must be a positive number"),
        Arguments.of("{\"learning_rate\": 1e400, " + pc + "}", "pipeline.yaml: train.learning_rate must be a finite number"),
        Arguments.of("{\"holdout\": 0.05, " + pc + "}", "pipeline.yaml: train.holdout must be between 0.05 and 0.95"),
        Arguments.of("{\"holdout\": 0.95, " + pc + "}", "pipeline.yaml: train.holdout must be between 0.05 and 0.95"),
        Arguments.of("{\"holdout\": 0, " + pc + "}", "pipeline.yaml: train.holdout must be between 0.05 and 0.95"),
        Arguments.of("{\"holdout\": 1, " + pc + "}", "pipeline.yaml: train.holdout must be between 0.05 and 0.95"),
        Arguments.of("{\"holdout\": -0.3, " + pc + "}", "pipeline.yaml: train.holdout must be between 0.05 and 0.95"),
        Arguments.of("{}", "pipeline.yaml: train.positive_class is required"),
        Arguments.of("{\"positive_class\": \"\"}", "pipeline.yaml: train.positive_class is required"),
        Arguments.of("{\"positive_class\": [\"bad\"]}", "pipeline.yaml: train.positive_class must be a string"),
        Arguments.of("[]", "pipeline.yaml: train.positive_class is required"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("invalid")
  void refusesInvalidParameters(String text, String message) {
    assertThatThrownBy(() -> parse(text)).isInstanceOf(BadInputException.class).hasMessage(message);
  }

  @ParameterizedTest(name = "holdout {0}")
  @ValueSource(doubles = {0.0500001, 0.3, 0.9499999})
  void holdoutBoundsAreExclusive(double holdout) throws BadInputException {
    assertThat(parse("{\"holdout\": " + holdout + ", \"positive_class\": \"bad\"}").holdout())
        .isEqualTo(holdout);
  }

  @Test
  void epochsUpToIntMaxAreAccepted() throws BadInputException {
    assertThat(parse("{\"epochs\": 2147483647, \"positive_class\": \"bad\"}").epochs())
        .isEqualTo(Integer.MAX_VALUE);
  }

  /**
   * The Javadoc promises a BadInputException for a value "of the wrong type"; today these are
   * silently replaced by defaults (or coerced) because fromJson uses JsonNode.asDouble(default),
   * asLong(default) and asText(default).
   */
  @ParameterizedTest(name = "{0}")
  @ValueSource(
      strings = {
        "{\"learning_rate\": \"fast\", \"positive_class\": \"bad\"}",
        "{\"learning_rate\": true, \"positive_class\": \"bad\"}",
        "{\"learning_rate\": \"0.5\", \"positive_class\": \"bad\"}",
        "{\"seed\": \"lucky\", \"positive_class\": \"bad\"}",
        "{\"seed\": 1.5, \"positive_class\": \"bad\"}",
        "{\"holdout\": \"half\", \"positive_class\": \"bad\"}",
        "{\"holdout\": [0.3], \"positive_class\": \"bad\"}",
        "{\"positive_class\": 1}",
        "{\"algorithm\": null, \"positive_class\": \"bad\"}"
      })
  void refusesWronglyTypedValues(String text) {
    assertThatThrownBy(() -> parse(text)).isInstanceOf(BadInputException.class);
  }
}
