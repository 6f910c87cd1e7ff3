package io.tfjsrun.flink;

/** Why a model update will not serve; its message names the model and version. */
final class UpdateException extends Exception {
  private static final long serialVersionUID = 1L;

  final String model;
  final String version;
  final String reason;

  UpdateException(ModelUpdate u, String reason) {
    super(u.label() + " will not serve: " + reason);
    this.model = u.name();
    this.version = u.version();
    this.reason = reason;
  }

  RejectedUpdate rejected() {
    return new RejectedUpdate(model, version, getMessage());
  }
}
