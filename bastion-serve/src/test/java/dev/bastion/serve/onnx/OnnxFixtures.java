package dev.bastion.serve.onnx;

import com.google.protobuf.CodedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Builds ONNX model files in tests, with no Python and no exporter: the {@code ModelProto}
 * protobuf is written field by field, with the field numbers of {@code onnx/onnx.proto}.
 *
 * <p>{@link #logistic} is the usual fixture, a logistic-regression classifier {@code X [N, F] ->
 * MatMul(W) -> Add(b) -> Softmax(axis=1) -> probabilities [N, C]}. {@link Graph} builds any other
 * graph, valid or not, for tests of what is refused.
 */
public final class OnnxFixtures {
  /** TensorProto.DataType values. */
  public static final int FLOAT = 1;
  public static final int INT64 = 7;
  public static final int DOUBLE = 11;

  /** The standard ONNX operator set the fixtures import. */
  public static final int OPSET = 13;

  /** The weights of the {@link #logistic()} fixture: 3 features, 2 classes. */
  public static final float[][] W = {{0.5f, -0.25f}, {-1.0f, 0.75f}, {2.0f, 0.125f}};

  /** The biases of the {@link #logistic()} fixture. */
  public static final float[] B = {0.1f, -0.3f};

  private OnnxFixtures() {}

  /** The logistic-regression fixture with {@link #W} and {@link #B}. */
  public static byte[] logistic() {
    return logistic(W, B);
  }

  /** A logistic-regression classifier: input {@code X [N, F]}, output {@code probabilities}. */
  public static byte[] logistic(float[][] w, float[] b) {
    return logisticGraph(w, b, -1).model();
  }

  /**
   * The logistic-regression fixture shaped as sklearn-onnx exports a classifier: an
   * {@code output_label} int64 tensor [N] and an {@code output_probability} sequence of maps
   * int64 -> float ({@code ZipMap}, keys 0 and 1).
   */
  public static byte[] sklearnZipMap() {
    return logisticBody(W, B, -1)
        .opset("ai.onnx.ml", 1)
        .node("ArgMax", List.of("probabilities"), List.of("output_label"), intAttr("axis", 1),
            intAttr("keepdims", 0))
        .node("ai.onnx.ml", "ZipMap", List.of("probabilities"), List.of("output_probability"),
            intsAttr("classlabels_int64s", 0, 1))
        .output("output_label", INT64, -1)
        .output("output_probability", sequenceOfMapsType(INT64))
        .model();
  }

  /**
   * The logistic-regression graph before its output: {@code probabilities} is computed but not
   * yet declared an output, so tests can add outputs of their own.
   *
   * @param batch the input's first dimension, -1 for symbolic
   */
  public static Graph logisticBody(float[][] w, float[] b, long batch) {
    int f = w.length;
    int c = b.length;
    return new Graph()
        .input("X", FLOAT, batch, f)
        .initializer(floatTensor("W", new long[] {f, c}, flatten(w)))
        .initializer(floatTensor("B", new long[] {c}, b))
        .node("MatMul", List.of("X", "W"), List.of("XW"))
        .node("Add", List.of("XW", "B"), List.of("logits"))
        .node("Softmax", List.of("logits"), List.of("probabilities"), intAttr("axis", 1));
  }

  /** {@link #logisticBody} with {@code probabilities [batch, C]} as its one output. */
  public static Graph logisticGraph(float[][] w, float[] b, long batch) {
    return logisticBody(w, b, batch).output("probabilities", FLOAT, batch, b.length);
  }

  /** softmax(x W + b), computed in double. */
  public static double[] expected(float[] x, float[][] w, float[] b) {
    int c = b.length;
    double[] z = new double[c];
    for (int k = 0; k < c; k++) {
      z[k] = b[k];
      for (int j = 0; j < x.length; j++) {
        z[k] += (double) x[j] * w[j][k];
      }
    }
    double max = Double.NEGATIVE_INFINITY;
    for (double v : z) {
      max = Math.max(max, v);
    }
    double sum = 0;
    for (int k = 0; k < c; k++) {
      z[k] = Math.exp(z[k] - max);
      sum += z[k];
    }
    for (int k = 0; k < c; k++) {
      z[k] /= sum;
    }
    return z;
  }

  static float[] flatten(float[][] m) {
    float[] out = new float[m.length * m[0].length];
    for (int i = 0; i < m.length; i++) {
      System.arraycopy(m[i], 0, out, i * m[i].length, m[i].length);
    }
    return out;
  }

  // ---- ONNX messages ----

  /** A TensorProto with its data in {@code float_data}. */
  public static Proto floatTensor(String name, long[] dims, float[] data) {
    Proto t = new Proto();
    for (long d : dims) {
      t.varint(1, d);
    }
    return t.varint(2, FLOAT).packedFloats(4, data).string(8, name);
  }

  /** A TensorProto with its data in {@code raw_data}, little-endian. */
  public static Proto rawFloatTensor(String name, long[] dims, float[] data) {
    ByteBuffer raw = ByteBuffer.allocate(4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
    for (float v : data) {
      raw.putFloat(v);
    }
    Proto t = new Proto();
    for (long d : dims) {
      t.varint(1, d);
    }
    return t.varint(2, FLOAT).string(8, name).bytes(9, raw.array());
  }

  /** A TensorProto whose data is said to live in the file {@code location}. */
  public static Proto externalTensor(String name, long[] dims, String location) {
    Proto t = new Proto();
    for (long d : dims) {
      t.varint(1, d);
    }
    return t.varint(2, FLOAT).string(8, name)
        .message(13, new Proto().string(1, "location").string(2, location))
        .varint(14, 1);
  }

  /** An INT attribute (AttributeProto type 2). */
  public static Proto intAttr(String name, long value) {
    return new Proto().string(1, name).varint(3, value).varint(20, 2);
  }

  /** An INTS attribute (AttributeProto type 7). */
  public static Proto intsAttr(String name, long... values) {
    Proto a = new Proto().string(1, name);
    for (long v : values) {
      a.varint(8, v);
    }
    return a.varint(20, 7);
  }

  /** A TENSOR attribute (AttributeProto type 4). */
  public static Proto tensorAttr(String name, Proto tensor) {
    return new Proto().string(1, name).message(5, tensor).varint(20, 4);
  }

  /** A TypeProto of a tensor; a negative dimension is symbolic ({@code dim_param}). */
  public static Proto tensorType(int elemType, long... dims) {
    Proto shape = new Proto();
    for (int i = 0; i < dims.length; i++) {
      shape.message(1, dims[i] < 0 ? new Proto().string(2, "d" + i)
          : new Proto().varint(1, dims[i]));
    }
    return new Proto().message(1, new Proto().varint(1, elemType).message(2, shape));
  }

  /** The TypeProto of sklearn-onnx's ZipMap output: a sequence of maps key -> float. */
  public static Proto sequenceOfMapsType(int keyType) {
    Proto map = new Proto().varint(1, keyType)
        .message(2, new Proto().message(1, new Proto().varint(1, FLOAT)));
    return new Proto().message(4, new Proto().message(1, new Proto().message(5, map)));
  }

  /** Builds a GraphProto, then its ModelProto. */
  public static final class Graph {
    private final List<Proto> nodes = new ArrayList<>();
    private final List<Proto> initializers = new ArrayList<>();
    private final List<Proto> inputs = new ArrayList<>();
    private final List<Proto> outputs = new ArrayList<>();
    private final List<Proto> opsets = new ArrayList<>();
    private final List<Proto> extra = new ArrayList<>();

    /** Declares a tensor input. */
    public Graph input(String name, int elemType, long... dims) {
      inputs.add(valueInfo(name, tensorType(elemType, dims)));
      return this;
    }

    /** Declares a tensor output. */
    public Graph output(String name, int elemType, long... dims) {
      return output(name, tensorType(elemType, dims));
    }

    /** Declares an output of any TypeProto. */
    public Graph output(String name, Proto type) {
      outputs.add(valueInfo(name, type));
      return this;
    }

    /** Adds an initializer (a TensorProto). */
    public Graph initializer(Proto tensor) {
      initializers.add(tensor);
      return this;
    }

    /** Adds a node of the standard domain. */
    public Graph node(String op, List<String> in, List<String> out, Proto... attributes) {
      return node("", op, in, out, attributes);
    }

    /** Adds a node of {@code domain}. */
    public Graph node(String domain, String op, List<String> in, List<String> out,
        Proto... attributes) {
      Proto n = new Proto();
      in.forEach(i -> n.string(1, i));
      out.forEach(o -> n.string(2, o));
      n.string(3, op + "_" + nodes.size()).string(4, op);
      for (Proto a : attributes) {
        n.message(5, a);
      }
      if (!domain.isEmpty()) {
        n.string(7, domain);
      }
      nodes.add(n);
      return this;
    }

    /** Imports an operator set besides the standard one. */
    public Graph opset(String domain, long version) {
      opsets.add(new Proto().string(1, domain).varint(2, version));
      return this;
    }

    /** Appends a raw field to the ModelProto, for tests of fields Bastion refuses. */
    public Graph modelField(Proto field) {
      extra.add(field);
      return this;
    }

    /** The GraphProto. */
    public Proto graph() {
      Proto g = new Proto();
      nodes.forEach(n -> g.message(1, n));
      g.string(2, "bastion-fixture");
      initializers.forEach(t -> g.message(5, t));
      inputs.forEach(i -> g.message(11, i));
      outputs.forEach(o -> g.message(12, o));
      return g;
    }

    /** The ModelProto's bytes: IR version 8, opset 13 and the imported sets. */
    public byte[] model() {
      Proto m = new Proto().varint(1, 8).string(2, "bastion-test").string(3, "1");
      m.message(7, graph());
      m.message(8, new Proto().string(1, "").varint(2, OPSET));
      opsets.forEach(o -> m.message(8, o));
      extra.forEach(m::append);
      return m.toByteArray();
    }

    private static Proto valueInfo(String name, Proto type) {
      return new Proto().string(1, name).message(2, type);
    }
  }

  /** A protobuf message written field by field. */
  public static final class Proto {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final CodedOutputStream out = CodedOutputStream.newInstance(bytes);

    /** A varint field (int32, int64, enum). */
    public Proto varint(int field, long value) {
      return write(() -> out.writeInt64(field, value));
    }

    /** A string field. */
    public Proto string(int field, String value) {
      return write(() -> out.writeString(field, value));
    }

    /** A bytes field. */
    public Proto bytes(int field, byte[] value) {
      return write(() -> out.writeByteArray(field, value));
    }

    /** A sub-message field. */
    public Proto message(int field, Proto value) {
      return bytes(field, value.toByteArray());
    }

    /** A packed repeated float field. */
    public Proto packedFloats(int field, float[] values) {
      return write(() -> {
        out.writeTag(field, 2);
        out.writeUInt32NoTag(4 * values.length);
        for (float v : values) {
          out.writeFloatNoTag(v);
        }
      });
    }

    /** Appends another message's fields to this one, as protobuf merges them. */
    public Proto append(Proto other) {
      return write(() -> out.writeRawBytes(other.toByteArray()));
    }

    /** The encoded message. */
    public byte[] toByteArray() {
      write(() -> {});
      return bytes.toByteArray();
    }

    private Proto write(IoAction a) {
      try {
        a.run();
        out.flush();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return this;
    }

    private interface IoAction {
      void run() throws IOException;
    }
  }
}
