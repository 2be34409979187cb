package dev.bastion.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.bastion.core.BadInputException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class FeatureSpecTest {
  /** A secret-looking raw value, to prove messages never echo a protected field. */
  private static final String SECRET = "4111-1111-1111-1111";

  static FeatureSpec spec() {
    Map<String, double[]> numeric = new LinkedHashMap<>();
    numeric.put("age", new double[] {40, 10});
    numeric.put("salary", new double[] {1000, 500});
    Map<String, List<String>> categorical = new LinkedHashMap<>();
    categorical.put("colour", List.of("red", "green"));
    categorical.put("card", List.of("tok_a", "tok_b"));
    return new FeatureSpec("y", "yes", numeric, categorical, List.of("card", "salary"));
  }

  static Map<String, String> valid() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("age", "50");
    m.put("salary", "250");
    m.put("colour", "green");
    m.put("card", "tok_b");
    return m;
  }

  static Map<String, String> with(String field, String value) {
    Map<String, String> m = valid();
    if (value == null) {
      m.remove(field);
    } else {
      m.put(field, value);
    }
    return m;
  }

  @Test
  void encodesStandardisedNumbersThenOneHotCategories() throws BadInputException {
    FeatureSpec.Encoded e = spec().encode(valid(), "request");

    assertThat(e.names()).containsExactly("age", "salary", "colour=green", "card=tok_b");
    assertThat(e.values()).containsExactly(1.0, -1.5, 1.0, 1.0);
    assertThat(spec().inputColumns()).containsExactly("age", "salary", "colour", "card");
  }

  @Test
  void theLabelMayBeSentAndIsIgnored() throws BadInputException {
    FeatureSpec.Encoded e = spec().encode(with("y", "no"), "request");

    assertThat(e.names()).containsExactly("age", "salary", "colour=green", "card=tok_b");
  }

  static Stream<Arguments> badInstances() {
    return Stream.of(
        Arguments.of("missing number", with("age", null), "request: field 'age' is missing"),
        Arguments.of("missing category", with("colour", null), "request: field 'colour' is missing"),
        Arguments.of("missing protected", with("card", null), "request: field 'card' is missing"),
        Arguments.of("not a number", with("age", "forty"), "request: field 'age' is not a number"),
        Arguments.of("empty number", with("age", ""), "request: field 'age' is not a number"),
        Arguments.of("number with a comma", with("age", "4,0"), "request: field 'age' is not a number"),
        Arguments.of("NaN", with("age", "NaN"), "request: field 'age' is not finite"),
        Arguments.of("Infinity", with("age", "-Infinity"), "request: field 'age' is not finite"),
        Arguments.of("overflow", with("age", "1e309"), "request: field 'age' is not finite"),
        Arguments.of("unknown category", with("colour", "blue"), "request: field 'colour': 'blue' is not a known category"),
        Arguments.of("category in another case", with("colour", "RED"), "request: field 'colour': 'RED' is not a known category"),
        Arguments.of("unknown field", with("zip", "12345"), "request: field 'zip' is not a model input"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("badInstances")
  void refusesABadInstanceNamingTheField(String name, Map<String, String> instance, String message) {
    assertThatThrownBy(() -> spec().encode(instance, "request"))
        .isInstanceOf(BadInputException.class)
        .hasMessage(message);
  }

  @Test
  void anUnknownProtectedValueIsNotEchoed() {
    assertThatThrownBy(() -> spec().encode(with("card", SECRET), "request"))
        .isInstanceOf(BadInputException.class)
        .hasMessage("request: field 'card': the value is not a known category")
        .message()
        .doesNotContain(SECRET);
  }

  @ParameterizedTest(name = "salary = {0}")
  @ValueSource(strings = {SECRET, "NaN", "Infinity", "1e999", "", "secret 12 34"})
  void aBadProtectedNumberIsNotEchoed(String value) {
    assertThatThrownBy(() -> spec().encode(with("salary", value), "request"))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("request: field 'salary' is not ")
        .satisfies(e -> {
          if (!value.isEmpty()) {
            assertThat(e.getMessage()).doesNotContain(value);
          }
        });
  }

  @Test
  void theSpecsCollectionsAreCopies() {
    Map<String, double[]> numeric = new LinkedHashMap<>();
    numeric.put("a", new double[] {0, 1});
    List<String> prot = new java.util.ArrayList<>(List.of("a"));
    FeatureSpec s = new FeatureSpec("y", "1", numeric, Map.of(), prot);
    numeric.clear();
    prot.clear();

    assertThat(s.numeric()).containsOnlyKeys("a");
    assertThat(s.protectedColumns()).containsExactly("a");
    assertThatThrownBy(() -> s.numeric().put("b", new double[] {0, 1}))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void toJsonAndFromJsonRoundTrip() throws BadInputException {
    FeatureSpec back = FeatureSpec.fromJson(spec().toJson());

    assertThat(back.toJson()).isEqualTo(spec().toJson());
    assertThat(back.encode(valid(), "r").values()).containsExactly(spec().encode(valid(), "r").values());
  }
}
