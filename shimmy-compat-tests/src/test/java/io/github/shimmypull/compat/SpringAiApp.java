package io.github.shimmypull.compat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A Spring Boot application with nothing of its own: Spring AI's starters configure it from
 * properties alone, as in a user's application. {@link #start} picks the chat model ({@code openai}
 * or {@code ollama}) and switches off the other model types, which would otherwise want API keys or
 * pull embedding models.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
class SpringAiApp {

  static ConfigurableApplicationContext start(String chatModel, Map<String, String> properties) {
    Map<String, Object> all = new LinkedHashMap<>();
    all.put("spring.main.banner-mode", "off");
    all.put("spring.ai.model.chat", chatModel);
    all.put("spring.ai.model.embedding", "none");
    all.put("spring.ai.model.image", "none");
    all.put("spring.ai.model.audio.speech", "none");
    all.put("spring.ai.model.audio.transcription", "none");
    all.put("spring.ai.model.moderation", "none");
    all.putAll(properties);
    return new SpringApplicationBuilder(SpringAiApp.class)
        .web(WebApplicationType.NONE)
        .properties(all)
        .run();
  }
}
