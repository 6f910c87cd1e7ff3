package io.tfjsrun.flink;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.flink.api.common.serialization.DeserializationSchema;
import org.apache.flink.api.common.serialization.SerializationSchema;
import org.apache.flink.api.common.typeinfo.TypeInformation;

/**
 * The wire format of {@link ModelUpdate}, for a Kafka topic (or any byte stream), and of the
 * broadcast state's entries. Binary, not JSON, so a bundle travels as its bytes (no base64) and
 * the adapter needs no JSON library on the cluster's class path:
 *
 * <pre>
 *   int magic 0x54464D55 ("TFMU"), byte format 1,
 *   UTF name, UTF version, UTF url ("" for none), UTF sha256 ("" for none),
 *   int bundle length (-1 for none), bytes,
 *   int sample floats (-1 for none), floats, int expected floats (-1 for none), floats, double tolerance
 * </pre>
 *
 * <p>A record longer than {@code maxRecordBytes}, or one that does not parse, becomes a
 * {@link ModelUpdate#malformed} update saying why: it is reported, it never fails the job.
 */
public final class ModelUpdateSchema implements DeserializationSchema<ModelUpdate>, SerializationSchema<ModelUpdate> {
  private static final long serialVersionUID = 1L;
  private static final int MAGIC = 0x54464D55;
  private static final byte FORMAT = 1;

  /** Kafka's default largest message (1 MiB): a larger bundle belongs behind a URL. */
  public static final int DEFAULT_MAX_RECORD_BYTES = 1 << 20;

  private final int maxRecordBytes;

  public ModelUpdateSchema() {
    this(DEFAULT_MAX_RECORD_BYTES);
  }

  public ModelUpdateSchema(int maxRecordBytes) {
    this.maxRecordBytes = maxRecordBytes;
  }

  @Override
  public ModelUpdate deserialize(byte[] message) {
    return decode(message, maxRecordBytes);
  }

  @Override
  public boolean isEndOfStream(ModelUpdate next) {
    return false;
  }

  @Override
  public TypeInformation<ModelUpdate> getProducedType() {
    return TypeInformation.of(ModelUpdate.class);
  }

  @Override
  public byte[] serialize(ModelUpdate update) {
    return encode(update);
  }

  public static byte[] encode(ModelUpdate u) {
    if (u.malformed() != null) throw new IllegalArgumentException("a malformed update is not written: " + u);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + (u.bundle() == null ? 0 : u.bundle().length));
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeInt(MAGIC);
      out.writeByte(FORMAT);
      out.writeUTF(u.name());
      out.writeUTF(u.version());
      out.writeUTF(u.url() == null ? "" : u.url());
      out.writeUTF(u.sha256());
      if (u.bundle() == null) {
        out.writeInt(-1);
      } else {
        out.writeInt(u.bundle().length);
        out.write(u.bundle());
      }
      writeFloats(out, u.sampleRows());
      writeFloats(out, u.expectedRows());
      out.writeDouble(u.tolerance());
    } catch (IOException e) {
      throw new UncheckedIOException(e);  // a ByteArrayOutputStream does not throw
    }
    return bytes.toByteArray();
  }

  /** The update in {@code message}, or a malformed one saying why it is not one. */
  public static ModelUpdate decode(byte[] message, int maxRecordBytes) {
    if (message == null) return ModelUpdate.malformed("an empty record (no value)");
    if (message.length > maxRecordBytes) {
      return ModelUpdate.malformed("a record of " + message.length + " bytes, over the limit of " + maxRecordBytes
          + " (publish a large bundle by URL and sha256)");
    }
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(message))) {
      if (message.length < 5 || in.readInt() != MAGIC) return ModelUpdate.malformed("not a model update (no TFMU header)");
      byte format = in.readByte();
      if (format != FORMAT) return ModelUpdate.malformed("model update format " + format + ", this reader knows " + FORMAT);
      String name = in.readUTF();
      String version = in.readUTF();
      String url = in.readUTF();
      String sha256 = in.readUTF();
      byte[] bundle = readBytes(in, message.length);
      float[] sample = readFloats(in, message.length);
      float[] expected = readFloats(in, message.length);
      double tolerance = in.readDouble();
      if (in.available() != 0) return ModelUpdate.malformed("model update '" + name + "' has " + in.available() + " trailing bytes");
      if (name.isEmpty() || version.isEmpty()) return ModelUpdate.malformed("a model update without a name or version");
      if (bundle == null && url.isEmpty()) return ModelUpdate.malformed(label(name, version) + " has neither a bundle nor a URL");
      if (bundle != null && !url.isEmpty()) return ModelUpdate.malformed(label(name, version) + " has both a bundle and a URL");
      if (!url.isEmpty() && !sha256.matches("[0-9a-fA-F]{64}")) {
        return ModelUpdate.malformed(label(name, version) + " has a URL but no SHA-256 (64 hex digits): '" + sha256 + "'");
      }
      // An inline bundle may name its digest too; it is checked like a URL's.
      ModelUpdate u = ModelUpdate.read(name, version, bundle, url.isEmpty() ? null : url, sha256);
      return sample == null ? u : u.withCheck(sample, expected, tolerance);
    } catch (IOException | RuntimeException e) {
      return ModelUpdate.malformed("a model update that does not parse: " + e);
    }
  }

  private static String label(String name, String version) {
    return "model '" + name + "' version '" + version + "'";
  }

  private static void writeFloats(DataOutputStream out, float[] values) throws IOException {
    if (values == null) {
      out.writeInt(-1);
      return;
    }
    out.writeInt(values.length);
    for (float v : values) out.writeFloat(v);
  }

  private static byte[] readBytes(DataInputStream in, int limit) throws IOException {
    int n = in.readInt();
    if (n < 0) return null;
    if (n > limit) throw new IOException("a length of " + n + " in a record of " + limit + " bytes");
    byte[] b = new byte[n];
    in.readFully(b);
    return b;
  }

  private static float[] readFloats(DataInputStream in, int limit) throws IOException {
    int n = in.readInt();
    if (n < 0) return null;
    if (n > limit / 4) throw new IOException("a length of " + n + " floats in a record of " + limit + " bytes");
    float[] f = new float[n];
    for (int i = 0; i < n; i++) f[i] = in.readFloat();
    return f;
  }
}
