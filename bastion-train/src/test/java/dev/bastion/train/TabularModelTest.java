package dev.bastion.train;

import static dev.bastion.train.CreditFixtures.instance;
import static dev.bastion.train.CreditFixtures.model;
import static dev.bastion.train.CreditFixtures.tokenised;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Json;
import dev.bastion.data.Table;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Random;
import java.util.function.UnaryOperator;
import java.util.stream.LongStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.tribuo.protos.core.ModelProto;

class TabularModelTest {

  static ObjectNode stored() {
    try {
      return (ObjectNode) Json.parse(model().toBytes(), "model.json");
    } catch (BadInputException e) {
      throw new IllegalStateException(e);
    }
  }

  static byte[] proto() {
    return Base64.getDecoder().decode(stored().get("tribuo").asText());
  }

  static byte[] withProto(byte[] proto) {
    ObjectNode o = stored();
    o.put("tribuo", Base64.getEncoder().encodeToString(proto));
    return Json.canonical(o);
  }

  @Test
  void theStoredFormRoundTripsAndPredictsIdentically() throws BadInputException {
    byte[] bytes = model().toBytes();

    TabularModel back = TabularModel.fromBytes(bytes, "model.json");

    assertThat(Json.canonical(back.spec().toJson())).isEqualTo(Json.canonical(model().spec().toJson()));
    // Not byte-identical: Tribuo re-serialises a loaded model's feature statistics differently,
    // so compare behaviour, and the spec part of the stored form, instead.
    assertThat(Json.parse(back.toBytes(), "again").get("spec"))
        .isEqualTo(Json.parse(bytes, "first").get("spec"));
    Table t = tokenised();
    for (Table.Row r : t.rows()) {
      String where = "line " + r.line();
      assertThat(back.predict(instance(t, r), where)).as(where).isEqualTo(model().predict(instance(t, r), where));
    }
  }

  @Test
  void theStoredFormIsCanonicalJsonNamingItsFormat() throws BadInputException {
    byte[] bytes = model().toBytes();
    JsonNode o = Json.parse(bytes, "model.json");

    assertThat(Json.canonical(o)).isEqualTo(bytes);
    assertThat(o.get("format").asText()).isEqualTo(TabularModel.FORMAT).isEqualTo("bastion-tabular-model/v1");
    assertThat(Json.canonical(o.get("spec"))).isEqualTo(Json.canonical(model().spec().toJson()));
    assertThat(new String(bytes, StandardCharsets.UTF_8)).doesNotContain("male single", "female div");
  }

  @Test
  void aFeatureSpecRoundTripsThroughJson() throws BadInputException {
    FeatureSpec spec = model().spec();

    FeatureSpec back = FeatureSpec.fromJson(spec.toJson());

    assertThat(back.toJson()).isEqualTo(spec.toJson());
    assertThat(back.inputColumns()).isEqualTo(spec.inputColumns());
  }

  static Stream<Arguments> notAModel() {
    return Stream.of(
        Arguments.of("empty", new byte[0], "model.json: empty document"),
        Arguments.of("garbage", new byte[] {(byte) 0xff, 0, 1, 2, '{'}, "model.json: not valid JSON"),
        Arguments.of("a Java serialised stream", new byte[] {(byte) 0xac, (byte) 0xed, 0, 5}, "model.json: not valid JSON"),
        Arguments.of("JSON array", "[1,2]".getBytes(StandardCharsets.UTF_8),
            "model.json: not a bastion-tabular-model/v1 model"),
        Arguments.of("no format", "{\"spec\":{}}".getBytes(StandardCharsets.UTF_8),
            "model.json: not a bastion-tabular-model/v1 model"),
        Arguments.of("another format", "{\"format\":\"bastion-tabular-model/v2\"}".getBytes(StandardCharsets.UTF_8),
            "model.json: not a bastion-tabular-model/v1 model"),
        Arguments.of("format not a string", "{\"format\":[\"bastion-tabular-model/v1\"]}".getBytes(StandardCharsets.UTF_8),
            "model.json: not a bastion-tabular-model/v1 model"),
        Arguments.of("no spec", "{\"format\":\"bastion-tabular-model/v1\"}".getBytes(StandardCharsets.UTF_8),
            "feature spec: a required field is missing"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("notAModel")
  void refusesWhatIsNotABastionModel(String name, byte[] bytes, String message) {
    assertThatThrownBy(() -> TabularModel.fromBytes(bytes, "model.json"))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith(message);
  }

  static Stream<Arguments> brokenModels() {
    UnaryOperator<ObjectNode> noTribuo = o -> {
      o.remove("tribuo");
      return o;
    };
    return Stream.of(
        Arguments.of("tribuo missing", noTribuo),
        Arguments.of("tribuo not base64", (UnaryOperator<ObjectNode>) o -> o.put("tribuo", "not base64!")),
        Arguments.of("tribuo base64 of garbage",
            (UnaryOperator<ObjectNode>) o -> o.put("tribuo", Base64.getEncoder().encodeToString(new byte[] {1, 2, 3, 4, 5}))),
        Arguments.of("tribuo truncated", (UnaryOperator<ObjectNode>) o -> o.put("tribuo",
            Base64.getEncoder().encodeToString(java.util.Arrays.copyOf(proto(), proto().length / 2)))),
        Arguments.of("tribuo names a class that is not a model", (UnaryOperator<ObjectNode>) o -> o.put("tribuo",
            Base64.getEncoder().encodeToString(
                ModelProto.newBuilder().setVersion(0).setClassName("java.lang.String").build().toByteArray()))),
        Arguments.of("tribuo names no class", (UnaryOperator<ObjectNode>) o -> o.put("tribuo",
            Base64.getEncoder().encodeToString(
                ModelProto.newBuilder().setVersion(0).setClassName("org.example.Missing").build().toByteArray()))),
        Arguments.of("tribuo model with no data", (UnaryOperator<ObjectNode>) o -> o.put("tribuo",
            Base64.getEncoder().encodeToString(
                ModelProto.newBuilder().setVersion(0)
                    .setClassName("org.tribuo.classification.sgd.linear.LinearSGDModel").build().toByteArray()))),
        Arguments.of("tribuo from a newer version", (UnaryOperator<ObjectNode>) o -> {
          try {
            return o.put("tribuo", Base64.getEncoder().encodeToString(
                ModelProto.parseFrom(proto()).toBuilder().setVersion(99).build().toByteArray()));
          } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new IllegalStateException(e);
          }
        }));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("brokenModels")
  void refusesACorruptedTribuoModel(String name, UnaryOperator<ObjectNode> corrupt) {
    byte[] bytes = Json.canonical(corrupt.apply(stored()));

    assertThatThrownBy(() -> TabularModel.fromBytes(bytes, "model.json"))
        .isInstanceOf(BadInputException.class)
        .hasMessageStartingWith("model.json: the ")
        .hasMessageMatching(".*(does not parse|is not base64|is not a Tribuo class)");
  }

  static Stream<Arguments> brokenSpecs() {
    return Stream.of(
        Arguments.of("numeric not [mean, std]", "{\"numeric\":{\"age\":[35]}}", "feature spec: a required field is missing"),
        Arguments.of("numeric a string", "{\"numeric\":{\"age\":\"x\"}}", "feature spec: a required field is missing"),
        Arguments.of("std zero", "{\"numeric\":{\"age\":[35, 0]}}", "feature spec: std of 'age' must be > 0"),
        Arguments.of("std negative", "{\"numeric\":{\"age\":[35, -1]}}", "feature spec: std of 'age' must be > 0"),
        Arguments.of("std not a number", "{\"numeric\":{\"age\":[35, \"wide\"]}}", "feature spec: std of 'age' must be > 0"),
        Arguments.of("no categorical", "{\"categorical\":null}", "feature spec: a required field is missing"),
        Arguments.of("no protected", "{\"protected\":null}", "feature spec: a required field is missing"),
        Arguments.of("no label", "{\"label\":null}", "feature spec: a required field is missing"),
        Arguments.of("no positive class", "{\"positive_class\":null}", "feature spec: a required field is missing"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("brokenSpecs")
  void refusesABrokenSpec(String name, String patch, String message) throws BadInputException {
    ObjectNode o = stored();
    ObjectNode spec = (ObjectNode) o.get("spec");
    Json.parse(patch.getBytes(StandardCharsets.UTF_8), "patch").properties().forEach(e -> {
      if (e.getValue().isNull()) {
        spec.remove(e.getKey());
      } else {
        spec.set(e.getKey(), e.getValue());
      }
    });
    byte[] bytes = Json.canonical(o);

    assertThatThrownBy(() -> TabularModel.fromBytes(bytes, "model.json"))
        .isInstanceOf(BadInputException.class)
        .hasMessage(message);
  }

  /**
   * A model file names the class that reads it (ModelProto.class_name). Tribuo's ProtoUtil calls
   * Class.forName(name), which runs that class's static initialiser before checking that it is a
   * Tribuo type, so a crafted file can initialise any class on the classpath. fromBytes should
   * check the names against the classes Bastion writes before handing the proto to Tribuo.
   */
  @Test
  void aModelFileCannotInitialiseAnArbitraryClass() {
    byte[] bytes = withProto(
        ModelProto.newBuilder()
            .setVersion(0)
            .setClassName("dev.bastion.train.ClassInitProbe$Target")
            .build()
            .toByteArray());

    assertThatThrownBy(() -> TabularModel.fromBytes(bytes, "model.json"))
        .isInstanceOf(BadInputException.class);
    assertThat(ClassInitProbe.RAN).isFalse();
  }

  // ---- corruption, seeded ----

  static LongStream seeds() {
    return LongStream.range(0, 40).map(i -> 0x70DE1L + i);
  }

  /**
   * A stored model with a few bytes of its Tribuo protobuf flipped, cut or repeated: either it
   * loads or it is refused with a BadInputException, never anything else.
   */
  @ParameterizedTest(name = "seed {0}")
  @MethodSource("seeds")
  void aCorruptedProtoLoadsOrIsRefused(long seed) {
    Random rnd = new Random(seed);
    byte[] original = proto();
    for (int i = 0; i < 10; i++) {
      byte[] p = ModelFuzzing.corrupt(rnd, original);
      ModelFuzzing.assertLoadsOrRefuses(withProto(p));
    }
  }
}
