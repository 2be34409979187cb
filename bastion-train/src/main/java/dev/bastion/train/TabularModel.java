package dev.bastion.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.bastion.core.BadInputException;
import dev.bastion.core.Json;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;
import org.tribuo.Example;
import org.tribuo.Model;
import org.tribuo.Prediction;
import org.tribuo.classification.Label;
import org.tribuo.classification.LabelFactory;
import org.tribuo.impl.ArrayExample;
import org.tribuo.protos.core.ModelProto;

/**
 * A trained classifier over tabular rows: the Tribuo model and the feature spec it was trained with.
 * Stored as canonical JSON holding the spec and the model in Tribuo's protobuf form (never Java
 * serialisation, which would run code while reading).
 */
public final class TabularModel {
  public static final String FORMAT = "bastion-tabular-model/v1";

  private final Model<Label> model;
  private final FeatureSpec spec;

  TabularModel(Model<Label> model, FeatureSpec spec) {
    this.model = model;
    this.spec = spec;
  }

  public FeatureSpec spec() {
    return spec;
  }

  Model<Label> tribuoModel() {
    return model;
  }

  /**
   * A prediction.
   *
   * @param label the predicted class
   * @param scores class to probability
   */
  public record Result(String label, Map<String, Double> scores) {}

  /**
   * Predicts one instance whose protected fields are already tokenised.
   *
   * @throws BadInputException if a field is missing or invalid
   */
  public Result predict(Map<String, String> instance, String where) throws BadInputException {
    FeatureSpec.Encoded e = spec.encode(instance, where);
    Example<Label> ex = new ArrayExample<>(LabelFactory.UNKNOWN_LABEL, e.names(), e.values());
    Prediction<Label> p = model.predict(ex);
    Map<String, Double> scores = new LinkedHashMap<>();
    p.getOutputScores().entrySet().stream()
        .sorted(Map.Entry.comparingByKey())
        .forEach(s -> scores.put(s.getKey(), s.getValue().getScore()));
    return new Result(p.getOutput().getLabel(), scores);
  }

  /** The stored form. */
  public byte[] toBytes() {
    ObjectNode o = Json.object();
    o.put("format", FORMAT);
    o.set("spec", spec.toJson());
    o.put("tribuo", Base64.getEncoder().encodeToString(model.serialize().toByteArray()));
    return Json.canonical(o);
  }

  /**
   * Reads the stored form.
   *
   * @throws BadInputException if it is not a Bastion tabular model
   */
  public static TabularModel fromBytes(byte[] bytes, String where) throws BadInputException {
    JsonNode o = Json.parse(bytes, where);
    if (!FORMAT.equals(o.path("format").asText())) {
      throw new BadInputException(where + ": not a " + FORMAT + " model");
    }
    FeatureSpec spec = FeatureSpec.fromJson(o.path("spec"));
    byte[] proto;
    try {
      proto = Base64.getDecoder().decode(o.path("tribuo").asText());
    } catch (IllegalArgumentException e) {
      throw new BadInputException(where + ": the Tribuo model is not base64", e);
    }
    ProtoClassNames.check(proto, where);
    Model<?> m;
    try {
      m = Model.deserialize(ModelProto.parseFrom(proto));
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      // Tribuo's readers throw whatever their casts and checks throw on a crafted message.
      throw new BadInputException(where + ": the Tribuo model does not parse", e);
    }
    if (!m.validate(Label.class)) {
      throw new BadInputException(where + ": not a classification model");
    }
    @SuppressWarnings("unchecked")
    Model<Label> labelModel = (Model<Label>) m;
    return new TabularModel(labelModel, spec);
  }
}
