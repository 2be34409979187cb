/**
 * Poisoning detection for tabular data: an {@link dev.bastion.data.poison.Encoder} turns a table
 * into numbers, {@link dev.bastion.data.poison.Signals} computes what several detectors share
 * (neighbours, out-of-fold probabilities), and each {@link dev.bastion.data.poison.Detector} gives
 * every row a score and flags the rows above its documented default threshold. {@link
 * dev.bastion.data.poison.Scan} runs them. Everything is seeded and deterministic.
 */
package dev.bastion.data.poison;
