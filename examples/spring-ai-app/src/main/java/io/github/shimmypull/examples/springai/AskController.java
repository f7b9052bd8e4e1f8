package io.github.shimmypull.examples.springai;

import org.jspecify.annotations.Nullable;
import org.springframework.ai.chat.client.ChatClient;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** {@code GET /ask?q=...}: the question to the model, the answer as plain text. */
@RestController
public class AskController {

  private final ChatClient chat;

  public AskController(ChatClient.Builder chat) {
    this.chat = chat.build();
  }

  /** The model's text; null (an empty 200 body) when it answered without any. */
  @GetMapping("/ask")
  public @Nullable String ask(@RequestParam("q") String question) {
    return chat.prompt().user(question).call().content();
  }
}
