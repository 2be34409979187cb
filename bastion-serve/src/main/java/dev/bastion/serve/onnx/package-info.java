/**
 * Imported ONNX classifiers, served through ONNX Runtime (pinned at 1.28.0).
 *
 * <p>{@link dev.bastion.serve.onnx.OnnxModel#parse} reads a model from its bytes, refuses what
 * Bastion does not serve (external data, custom operators, model-local functions, inputs other
 * than one float tensor {@code [N, F]}, outputs that are not class probabilities), and runs it.
 * The checks of the protobuf wire format happen before ONNX Runtime parses anything. What is
 * accepted, and why, is in {@code docs/onnx.md}.
 */
package dev.bastion.serve.onnx;
