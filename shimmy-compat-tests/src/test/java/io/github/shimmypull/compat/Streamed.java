package io.github.shimmypull.compat;

import dev.langchain4j.model.chat.StreamingChatModel;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * How a LangChain4j streaming chat ended: the text it streamed, and either the complete response or
 * the error its handler was given. A stream that calls neither within the timeout is a failure of
 * its own (the client would wait forever).
 */
record Streamed(
    String text, boolean completed, @org.jspecify.annotations.Nullable Throwable error) {

  static Streamed chat(StreamingChatModel model, String message, Duration timeout) {
    StringBuilder text = new StringBuilder();
    CompletableFuture<Streamed> done = new CompletableFuture<>();
    model.chat(
        message,
        new StreamingChatResponseHandler() {
          @Override
          public void onPartialResponse(String partial) {
            synchronized (text) {
              text.append(partial);
            }
          }

          @Override
          public void onCompleteResponse(ChatResponse response) {
            synchronized (text) {
              done.complete(new Streamed(text.toString(), true, null));
            }
          }

          @Override
          public void onError(Throwable error) {
            synchronized (text) {
              done.complete(new Streamed(text.toString(), false, error));
            }
          }
        });
    try {
      return done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      synchronized (text) {
        throw new AssertionError(
            "the streaming chat called neither onCompleteResponse nor onError within "
                + timeout
                + " (streamed so far: \""
                + text
                + "\")");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    } catch (ExecutionException e) {
      throw new AssertionError(e.getCause());
    }
  }
}
