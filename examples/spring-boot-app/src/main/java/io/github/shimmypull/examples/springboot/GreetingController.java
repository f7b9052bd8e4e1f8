package io.github.shimmypull.examples.springboot;

import java.util.Map;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** The application's own endpoint: it wins over the starter's catch-all proxy. */
@RestController
public class GreetingController {

  @GetMapping("/hello")
  public Map<String, String> hello() {
    return Map.of("message", "hello from the application");
  }
}
