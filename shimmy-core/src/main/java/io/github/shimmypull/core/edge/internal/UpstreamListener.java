package io.github.shimmypull.core.edge.internal;

/** What an upstream connection reports to the exchange it currently serves (on its event loop). */
interface UpstreamListener {

  /**
   * A part of the upstream's response, from {@link UpstreamResponseDecoder}: a {@link
   * ResponseHead}, body bytes ({@code ByteBuf}), or {@link UpstreamResponseDecoder#END}; after a
   * 101, raw bytes.
   */
  void upstreamRead(Object message);

  /** The end of one batch of reads: the moment to flush what was written to the client. */
  void upstreamReadComplete();

  /** The upstream connection can take more (or no more) request bytes. */
  void upstreamWritabilityChanged(boolean writable);

  /** The upstream connection failed, closed, or was silent longer than the read timeout. */
  void upstreamFailed(String why);
}
