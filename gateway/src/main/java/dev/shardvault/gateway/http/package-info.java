/**
 * The public HTTP API under {@code /v1} (docs/api.md, docs/openapi.yaml): one {@code HttpService} per surface
 * — secrets, {@code .env}, status — plus the request plumbing they share (authentication, body limits, JSON
 * decoding, metrics). Handlers validate, stamp the request time, forward to a vault node and shape the
 * answer; failures leave as problems rendered in one place.
 */
package dev.shardvault.gateway.http;
