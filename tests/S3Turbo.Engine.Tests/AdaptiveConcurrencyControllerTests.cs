using S3Turbo.Engine.Upload;

namespace S3Turbo.Engine.Tests;

public class AdaptiveConcurrencyControllerTests
{
    [Fact]
    public void Grows_while_throughput_grows_then_settles_at_the_knee()
    {
        // Throughput rises linearly until 40 requests, then stays flat: the controller should stop near 40.
        var controller = new AdaptiveConcurrencyController(initial: 8, min: 2, max: 256);
        double Throughput(int limit) => Math.Min(limit, 40) * 1000.0;
        for (int i = 0; i < 30; i++) controller.Observe(Throughput(controller.Limit), throttled: false, saturated: true);
        Assert.InRange(controller.Limit, 40, 90);
        Assert.True(controller.PeakLimit >= 40);
        Assert.True(controller.PeakLimit < 256, "it must not climb to the maximum when throughput is flat");
    }

    [Fact]
    public void Slow_start_doubles_while_throughput_keeps_up_then_steps_by_half()
    {
        var controller = new AdaptiveConcurrencyController(initial: 16, min: 2, max: 256);
        double Throughput(int limit) => Math.Min(limit, 100) * 1000.0;
        controller.Observe(Throughput(controller.Limit), throttled: false, saturated: true);
        Assert.Equal(32, controller.Limit);
        controller.Observe(Throughput(controller.Limit), throttled: false, saturated: true);
        Assert.Equal(64, controller.Limit);
        controller.Observe(Throughput(controller.Limit), throttled: false, saturated: true);
        Assert.Equal(128, controller.Limit);
        controller.Observe(Throughput(controller.Limit), throttled: false, saturated: true); // 100k vs 64k: still a gain
        Assert.Equal(256, controller.Limit);
        controller.Observe(Throughput(controller.Limit), throttled: false, saturated: true); // flat: back to the best
        Assert.Equal(128, controller.Limit);
        for (int i = 0; i < 3; i++) controller.Observe(Throughput(controller.Limit), throttled: false, saturated: true);
        Assert.True(controller.Limit <= 192, $"after slow start steps are ×1.5 at most, got {controller.Limit}");
    }

    [Fact]
    public void Backs_off_on_throttling_and_does_not_grow_past_the_throttle_ceiling_right_away()
    {
        var controller = new AdaptiveConcurrencyController(initial: 60, min: 2, max: 256);
        controller.Observe(1000, throttled: true, saturated: true);
        Assert.Equal(40, controller.Limit);
        Assert.Equal(1, controller.Throttles);
        for (int i = 0; i < 10; i++) controller.Observe(1000 + i * 500, throttled: false, saturated: true);
        Assert.True(controller.Limit <= 59, $"limit {controller.Limit} went past the ceiling of 59");
    }

    [Fact]
    public void Does_not_change_when_requests_do_not_wait_for_slots()
    {
        var controller = new AdaptiveConcurrencyController(initial: 16, min: 2, max: 256);
        for (int i = 0; i < 10; i++) controller.Observe(1000 * (i + 1), throttled: false, saturated: false);
        Assert.Equal(16, controller.Limit);
    }

    [Fact]
    public void Repeated_throttling_drives_it_to_the_minimum_and_no_lower()
    {
        var controller = new AdaptiveConcurrencyController(initial: 64, min: 2, max: 256);
        for (int i = 0; i < 20; i++) controller.Observe(10, throttled: true, saturated: true);
        Assert.Equal(2, controller.Limit);
    }
}
