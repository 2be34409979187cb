package dev.bastion.serve.guard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bastion.core.BadInputException;
import dev.bastion.train.FeatureSpec;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FeatureVectorsTest {
  static final FeatureSpec SPEC =
      new FeatureSpec(
          "label",
          "yes",
          new LinkedHashMap<>(Map.of("age", new double[] {40, 10})),
          new LinkedHashMap<>(
              Map.of("colour", List.of("red", "green", "blue"), "city", List.of("tok_a", "tok_b"))),
          List.of("city"));

  @Test
  void numericColumnsAreStandardisedAndCategoriesOneHotInTheSpecsOrder()
      throws BadInputException {
    FeatureVectors v = new FeatureVectors(SPEC);
    double[] x = v.encode(Map.of("age", "55", "colour", "green", "city", "tok_b", "label", "no"));

    assertThat(v.dimension()).isEqualTo(6);
    assertThat(v.numericDimension()).isEqualTo(1);
    assertThat(v.names().get(0)).isEqualTo("age");
    assertThat(x[0]).isEqualTo(1.5);
    assertThat(x[1 + v.names().subList(1, 6).indexOf("colour=green")]).isEqualTo(1.0);
    assertThat(x[1 + v.names().subList(1, 6).indexOf("city=tok_b")]).isEqualTo(1.0);
    assertThat(java.util.Arrays.stream(x).sum()).isEqualTo(3.5);
  }

  @Test
  void twoCategoriesOfOneColumnAreRootTwoApart() throws BadInputException {
    FeatureVectors v = new FeatureVectors(SPEC);
    double[] a = v.encode(Map.of("age", "40", "colour", "red", "city", "tok_a"));
    double[] b = v.encode(Map.of("age", "40", "colour", "blue", "city", "tok_a"));
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += (a[i] - b[i]) * (a[i] - b[i]);
    }
    assertThat(s).isEqualTo(2.0);
  }

  @Test
  void badInstancesAreRefusedWithoutEchoingProtectedValues() {
    FeatureVectors v = new FeatureVectors(SPEC);
    assertThatThrownBy(() -> v.encode(Map.of("colour", "red", "city", "tok_a")))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("'age' is missing");
    assertThatThrownBy(() -> v.encode(Map.of("age", "NaN", "colour", "red", "city", "tok_a")))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("not a finite number");
    assertThatThrownBy(() -> v.encode(Map.of("age", "1", "colour", "pink", "city", "tok_a")))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("'pink'");
    assertThatThrownBy(() -> v.encode(Map.of("age", "1", "colour", "red", "city", "Secret St")))
        .isInstanceOf(BadInputException.class)
        .hasMessageContaining("the value")
        .hasMessageNotContaining("Secret");
  }
}
