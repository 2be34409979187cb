/**
 * Guards of the inference gateway against model extraction: {@link
 * dev.bastion.serve.guard.FeatureVectors} turns a parsed instance into the vector the model sees,
 * and {@link dev.bastion.serve.guard.ExtractionDetector} watches each client's stream of queries
 * (a PRADA-style test of the distances between successive queries, with {@link
 * dev.bastion.serve.guard.ShapiroWilk}, plus coverage and volume signals) and latches an alarm the
 * gateway can record in the ledger and act on.
 */
package dev.bastion.serve.guard;
